import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { configureOnnx, onnxSessionStats, open, runMlp, runModelFile } from '../src/kernels/backends/onnx/backend.js';
import { DESK_MODEL_FEATURES, deskModelLayers } from '../src/kernels/backends/onnx/desk-model.js';
import { mlpOnOnnx } from '../src/kernels/backends/onnx/mlp-kernel.js';
import { mlpModelBytes } from '../src/kernels/backends/onnx/mlp-model.js';
import { closeAccelerators, openAccelerator } from '../src/kernels/backends/registry.js';
import type { Activation, MlpInput, MlpLayer } from '../src/kernels/builtin/mlp.js';
import { modelOnnxKernel, type ModelOnnxInput } from '../src/kernels/builtin/model-onnx.js';
import { randomNormals } from '../src/kernels/builtin/samples.js';
import { jsCores } from '../src/kernels/cores-js.js';
import { sharedArray } from '../src/kernels/shared-arrays.js';
import { testContext } from './kernel-context.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const deskModelFile = join(root, 'models', 'desk-mlp.onnx');

/**
 * Tolerances against the JS reference (cores-js.ts), relative to max(1, |expected|) so that values
 * near zero are held to an absolute bound:
 * - float64 graphs (what runMlp builds on the cpu provider): 1e-12. ORT's Gemm sums the same
 *   products in another order (and may fuse multiply-adds), which moves each result by a few ulps
 *   (measured: 3e-16); 1e-12 leaves room for that through three layers yet fails on any float32 rounding
 *   anywhere in the graph (~1e-7).
 * - float32 graphs (the desk model file): 1e-5. Weights and features rounded to float32 (relative
 *   error 6e-8 each) and float32 sums of 8 to 16 products (measured: 1.2e-7 over 1000 rows); 1e-5
 *   leaves room for other inputs, and a wrong weight, layout or activation shows at 1e-2 or more.
 */
const FLOAT64_TOLERANCE = 1e-12;
const FLOAT32_TOLERANCE = 1e-5;

const ACTIVATION_CODE: Record<Activation, number> = { linear: 0, relu: 1, sigmoid: 2 };

/** The network through the JS dense core, layer by layer (the mlp kernel's js path). */
function jsForward(layers: readonly MlpLayer[], x: Float64Array, rows: number): Float64Array {
  let current = x;
  let inputs = x.length / rows;
  for (const layer of layers) {
    const outputs = layer.b.length;
    const next = new Float64Array(rows * outputs);
    jsCores.dense(current, layer.w, layer.b, rows, inputs, outputs, ACTIVATION_CODE[layer.activation], next);
    current = next;
    inputs = outputs;
  }
  return current;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

function randomLayers(widths: readonly number[], activation: Activation, seed: number): MlpLayer[] {
  return widths.slice(1).map((outputs, i) => ({
    w: randomNormals(widths[i] * outputs, seed + 2 * i, 1 / Math.sqrt(widths[i])),
    b: randomNormals(outputs, seed + 2 * i + 1, 0.1),
    activation,
  }));
}

async function argumentError(work: () => unknown): Promise<Error & { argument?: string }> {
  try {
    await work();
  } catch (err) {
    return err as Error & { argument?: string };
  }
  throw new Error('expected an error');
}

afterAll(async () => {
  await closeAccelerators();
});

describe('the desk model file', () => {
  it('regenerates byte for byte: tools/make-model.ts, built with tsc and run in a child process', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dualbus-make-model-'));
    try {
      // The tool and what it imports, compiled with the project's settings into a directory of
      // its own: the bytes come from the sources as they are now, and dist/ is left alone.
      const tsconfig = join(dir, 'tsconfig.json');
      const compilerOptions = { outDir: join(dir, 'build'), rootDir: root, typeRoots: [join(root, 'node_modules', '@types')], declaration: false, sourceMap: false };
      writeFileSync(tsconfig, JSON.stringify({ extends: join(root, 'tsconfig.json'), compilerOptions, include: [], files: [join(root, 'tools', 'make-model.ts')] }));
      const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', tsconfig], { encoding: 'utf8' });
      const script = join(dir, 'build', 'tools', 'make-model.js');
      // tsc emits even with type errors; those are the build's to report, the bytes are this test's.
      expect(existsSync(script), `tsc did not emit make-model.js: ${tsc.stdout}${tsc.stderr}`).toBe(true);
      const outFile = join(dir, 'desk-mlp.onnx');
      const run = spawnSync(process.execPath, [script, outFile], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const regenerated = readFileSync(outFile);
      const committed = readFileSync(deskModelFile);
      expect(regenerated.length).toBe(committed.length);
      expect(Buffer.compare(regenerated, committed)).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('is kilobytes of float32 and gives the js mlp numbers through onnxruntime (within 1e-5)', async () => {
    expect(readFileSync(deskModelFile).length).toBeLessThan(4096);
    const rows = 64;
    const x = randomNormals(rows * DESK_MODEL_FEATURES, 5); // float64 features, rounded to the model's float32 on upload
    const result = await runModelFile(deskModelFile, { x: { data: x, dims: [rows, DESK_MODEL_FEATURES] } });
    expect(Object.keys(result)).toEqual(['y']);
    expect(result.y.dims).toEqual([rows, 1]);
    const expected = jsForward(deskModelLayers(), x, rows);
    expectClose(result.y.data, expected, FLOAT32_TOLERANCE);
    // Probabilities that differ from row to row: a network pinned at 0 or 1 would match trivially.
    const p = Array.from(result.y.data);
    expect(Math.min(...p)).toBeGreaterThan(0);
    expect(Math.max(...p)).toBeLessThan(1);
    expect(Math.max(...p) - Math.min(...p)).toBeGreaterThan(0.1);
  });
});

describe('runMlp on the cpu provider (float64 graphs)', () => {
  it('opens on the cpu provider', async () => {
    const load = await openAccelerator('onnx');
    expect(load.ok && load.device).toMatch(/^onnxruntime \d+\.\d+\.\d+ \(cpu\)$/);
  });

  for (const activation of ['relu', 'sigmoid', 'linear'] as const) {
    it(`equals the js mlp within 1e-12 with ${activation} layers, for 1, 7 and 100 rows`, async () => {
      const layers = randomLayers([12, 32, 16, 5], activation, 100 + ACTIVATION_CODE[activation] * 10);
      for (const rows of [1, 7, 100]) {
        const x = randomNormals(rows * 12, rows);
        const out = new Float64Array(rows * 5);
        await runMlp({ x, rows, layers }, out);
        expectClose(out, jsForward(layers, x, rows), FLOAT64_TOLERANCE);
      }
    });
  }

  it('mixes activations and reads inputs on a SharedArrayBuffer; the kernel writes its ctx.output', async () => {
    const layers = [...randomLayers([6, 10], 'relu', 300), ...randomLayers([10, 4], 'linear', 310), ...randomLayers([4, 3], 'sigmoid', 320)];
    const rows = 9;
    const x = sharedArray(Float64Array, rows * 6);
    x.set(randomNormals(rows * 6, 9));
    const input: MlpInput = { x, rows, layers };
    const result = await mlpOnOnnx(input, testContext('mlp'));
    expect(result.outputs).toBe(3);
    expectClose(result.out, jsForward(layers, x, rows), FLOAT64_TOLERANCE);
  });

  it('keeps a session per set of weights: the same weights (in new arrays too) reuse it, a changed weight makes another', async () => {
    const layers = randomLayers([8, 8, 2], 'relu', 400);
    const rows = 4;
    const x = randomNormals(rows * 8, 4);
    const out = new Float64Array(rows * 2);
    const before = (await onnxSessionStats()).created;
    await runMlp({ x, rows, layers }, out);
    await runMlp({ x, rows, layers }, out);
    const copies = layers.map((l) => ({ w: l.w.slice(), b: l.b.slice(), activation: l.activation }));
    await runMlp({ x: x.subarray(0, 2 * 8), rows: 2, layers: copies }, out); // other rows, same network
    expect((await onnxSessionStats()).created).toBe(before + 1);
    copies[0].w[0] += 1;
    await runMlp({ x, rows, layers: copies }, out);
    expectClose(out, jsForward(copies, x, rows), FLOAT64_TOLERANCE);
    const stats = await onnxSessionStats();
    expect(stats.created).toBe(before + 2);
    expect(stats.held).toBeLessThanOrEqual(8); // a few MLP sessions and a few model files, never more
  });

  it('profiles the last run: upload, compute and download times', async () => {
    const load = await openAccelerator('onnx');
    if (!load.ok) throw new Error(load.reason);
    const layers = randomLayers([4, 4], 'linear', 500);
    await runMlp({ x: randomNormals(8, 1), rows: 2, layers }, new Float64Array(8));
    const profile = load.profile();
    expect(profile.core).toBe('dense');
    for (const ms of [profile.uploadMs, profile.computeMs, profile.downloadMs]) expect(ms).toBeGreaterThanOrEqual(0);
  });
});

describe('opening the onnx backend', () => {
  it('is unavailable, naming the module, when DUALBUS_ONNX_MODULE names one that does not exist', async () => {
    process.env.DUALBUS_ONNX_MODULE = 'dualbus-no-such-onnxruntime';
    try {
      const load = await open(jsCores);
      expect(load.ok).toBe(false);
      if (load.ok) return;
      expect(load.reason).toContain("'dualbus-no-such-onnxruntime'");
      expect(load.reason).toContain('DUALBUS_ONNX_MODULE');
    } finally {
      delete process.env.DUALBUS_ONNX_MODULE;
    }
  });

  it('falls back to cpu when cuda cannot start, saying why in the device string, and warns once', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    configureOnnx({ executionProvider: 'cuda' });
    try {
      const first = await open(jsCores);
      const second = await open(jsCores);
      for (const load of [first, second]) {
        expect(load.ok).toBe(true);
        if (!load.ok) return;
        await load.close();
      }
      if (first.ok && /\(cuda\)$/.test(first.device)) return; // a machine with CUDA 12 and the provider installed
      expect(first.ok && first.device).toMatch(/^onnxruntime \d+\.\d+\.\d+ \(cpu; cuda unavailable: .+\)$/);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toContain('cuda unavailable');
    } finally {
      configureOnnx({});
      warn.mockRestore();
    }
  });

  it.skipIf(process.platform === 'darwin')('falls back to cpu when asked for coreml off macOS', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    configureOnnx({ executionProvider: 'coreml', coreml: { computeUnits: 'CPUAndNeuralEngine' } });
    try {
      const load = await open(jsCores);
      expect(load.ok && load.device).toMatch(/^onnxruntime \S+ \(cpu; coreml unavailable: .+\)$/);
      if (load.ok) await load.close();
    } finally {
      configureOnnx({});
      warn.mockRestore();
    }
  });

  it('refuses options it does not know', () => {
    expect(() => configureOnnx({ executionProvider: 'tpu' as never })).toThrow(/executionProvider must be one of cpu, cuda, coreml/);
    expect(() => configureOnnx({ coreml: { computeUnits: 'NeuralEngineOnly' as never } })).toThrow(/computeUnits/);
  });
});

describe('the model.onnx kernel', () => {
  const ctx = testContext('model.onnx');
  const validate: (input: unknown, ctx: ReturnType<typeof testContext>) => void = modelOnnxKernel.validate!;
  const run = (input: ModelOnnxInput) => modelOnnxKernel.onnx!(input, ctx);
  const x = (rows: number, features = DESK_MODEL_FEATURES) => ({ data: randomNormals(rows * features, rows), dims: [rows, features] });

  it('runs a model file by path (relative to the working directory too), outputs through ctx.output', async () => {
    const input = { model: join('models', 'desk-mlp.onnx'), feeds: { x: { data: Float32Array.from(x(3).data), dims: [3, DESK_MODEL_FEATURES] } } };
    const cwd = process.cwd();
    process.chdir(root);
    try {
      validate(input, ctx);
      const result = await run(input);
      expect(result.y.dims).toEqual([3, 1]);
      expect(result.y.data).toBeInstanceOf(Float64Array);
      expectClose(result.y.data, jsForward(deskModelLayers(), Float64Array.from(input.feeds.x.data), 3), FLOAT32_TOLERANCE);
    } finally {
      process.chdir(cwd);
    }
  });

  it('runs float64 model files in float64 (a Float32Array feed is widened)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dualbus-onnx-'));
    try {
      const layers = randomLayers([5, 7, 2], 'sigmoid', 600);
      const file = join(dir, 'f64.onnx');
      writeFileSync(file, mlpModelBytes(layers, { inputs: 5, dtype: 'float64' }));
      const data = Float32Array.from(randomNormals(20, 6));
      const result = await run({ model: file, feeds: { x: { data, dims: [4, 5] } } });
      expectClose(result.y.data, jsForward(layers, Float64Array.from(data), 4), FLOAT64_TOLERANCE);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names a missing model file', () => {
    const err = (() => {
      try {
        validate({ model: 'models/no-such-model.onnx', feeds: { x: x(1) } }, ctx);
      } catch (e) {
        return e as Error & { argument?: string };
      }
      throw new Error('expected an error');
    })();
    expect(err.argument).toBe('model');
    expect(err.message).toContain('models/no-such-model.onnx');
  });

  it('names a file that is not an ONNX model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dualbus-onnx-'));
    try {
      const file = join(dir, 'not-a-model.onnx');
      writeFileSync(file, 'this is not a protobuf');
      const err = await argumentError(() => run({ model: file, feeds: { x: x(1) } }));
      expect(err.argument).toBe('model');
      expect(err.message).toMatch(/an ONNX model file that ONNX Runtime loads.*not-a-model\.onnx/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names a feed that is not one of the model's inputs", async () => {
    const err = await argumentError(() => run({ model: deskModelFile, feeds: { features: x(2) } }));
    expect(err.argument).toBe('feeds.features');
    expect(err.message).toContain("the model's inputs ('x')");
  });

  it("names a feed whose dims do not fit the model's input shape", async () => {
    const err = await argumentError(() => run({ model: deskModelFile, feeds: { x: x(2, 7) } }));
    expect(err.argument).toBe('feeds.x.dims');
    expect(err.message).toContain('[rows, 8]');
    expect(err.message).toContain('[2, 7]');
  });

  it('names dims whose product is not the length of the data, and feeds that are not float arrays', () => {
    const bad = (feeds: unknown) => {
      try {
        validate({ model: deskModelFile, feeds }, ctx);
      } catch (e) {
        return e as Error & { argument?: string };
      }
      throw new Error('expected an error');
    };
    expect(bad({ x: { data: new Float64Array(10), dims: [2, 8] } }).argument).toBe('feeds.x.dims');
    expect(bad({ x: { data: [1, 2], dims: [1, 2] } }).argument).toBe('feeds.x.data');
    expect(bad({}).argument).toBe('feeds');
  });

  it('runs on the onnx backend only', () => {
    expect(() => modelOnnxKernel.js({ model: deskModelFile, feeds: { x: x(1) } }, ctx)).toThrow(/runs on the onnx backend only/);
  });
});
