import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSystem, sharedArray, type System } from 'dualbus';
import { DESK_MODEL_FEATURES, DESK_MODEL_FILE, deskModelLayers } from '../src/kernels/backends/onnx/desk-model.js';
import { fixture } from './helpers.js';

// Every accelerator through the kernel pool, as users and actors call them: the kernels each one
// offers against the js backend of the same pool. The per-core agreement bounds are derived in
// kernels-webgpu, kernels-mlx and kernels-onnx; here the figures a desk reads (VaR, ES, factor
// values, a network's outputs) must agree within 1e-4 relative (f32 devices), or 1e-10 for onnx's
// f64 graphs. A backend wired to the wrong core or arguments is off by far more.
const ROOT = new URL('..', import.meta.url).pathname;

function data(length: number, seed: number, scale = 1): Float64Array {
  const a = sharedArray(Float64Array, length);
  let s = seed >>> 0;
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return a;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, relative: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  let scale = 0;
  for (let i = 0; i < want.length; i++) if (Number.isFinite(want[i]!)) scale = Math.max(scale, Math.abs(want[i]!));
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i]!)) expect(got[i], `${what} [${i}]`).toBeNaN();
    else expect(Math.abs(got[i]! - want[i]!), `${what} [${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(relative * scale);
  }
}

let system: System;
beforeAll(async () => {
  system = await createSystem({ logger: undefined, kernels: { threads: 1, calibrationFile: false } });
});
afterAll(() => system.shutdown());

const t = 300, n = 6;
const returns = data(t * n, 5, 0.02);
const weights = data(n, 6);
const INPUTS: Record<string, unknown> = {
  matmul: { a: data(40 * 30, 1), b: data(30 * 20, 2), m: 40, k: 30, n: 20 },
  mlp: { x: data(50 * 8, 3), rows: 50, layers: [{ w: data(8 * 16, 4, 0.5), b: data(16, 7, 0.1), activation: 'relu' }, { w: data(16, 8, 0.5), b: data(1, 9, 0.1), activation: 'sigmoid' }] },
  'var.historical': { returns, t, n, weights },
  'var.parametric': { returns, t, n, weights },
  'var.montecarlo': { returns, t, n, weights, paths: 20_000, seed: 11 },
  factors: { x: returns, t, n, windows: [5, 20] },
};

describe('the accelerators in the pool', () => {
  it('each reports itself available with what it runs on', async () => {
    const backends = await system.kernels.backends();
    expect(backends.webgpu.device).toMatch(/^webgpu: /);
    expect(backends.mlx.device).toMatch(/^mlx Device\(/);
    expect(backends.onnx.device).toMatch(/^onnxruntime 1\.30\.0 \(cpu\)$/);
    const on = (b: string) => system.kernels.list().filter((k) => k.backends.includes(b as never)).map((k) => k.name);
    expect(on('webgpu')).toEqual(['matmul', 'mlp', 'var.historical', 'var.parametric', 'var.montecarlo', 'factors']);
    expect(on('mlx')).toEqual(['matmul', 'mlp', 'var.historical', 'var.parametric', 'var.montecarlo', 'factors']);
    expect(on('onnx')).toEqual(['mlp', 'model.onnx']);
  });

  it.each(['webgpu', 'mlx'] as const)('%s gives the js figures of every kernel it offers', async (backend) => {
    for (const [kernel, input] of Object.entries(INPUTS)) {
      const js = await system.kernels.run(kernel, input, { backend: 'js' });
      const accelerated = await system.kernels.run(kernel, input, { backend });
      for (const [field, value] of Object.entries(js)) {
        if (ArrayBuffer.isView(value)) expectClose(accelerated[field], value as unknown as Float64Array, 1e-4, `${kernel}.${field} on ${backend}`);
        else expect(accelerated[field], `${kernel}.${field}`).toEqual(value);
      }
      expect(system.stats().kernels.kernels[kernel]![backend]!.calls, kernel).toBeGreaterThan(0);
    }
  });

  it('onnx runs the mlp kernel and the desk model file with the js network figures', async () => {
    const js = await system.kernels.run('mlp', INPUTS.mlp, { backend: 'js' });
    expectClose((await system.kernels.run('mlp', INPUTS.mlp, { backend: 'onnx' })).out, js.out, 1e-10, 'mlp on onnx');

    const rows = 20;
    const x = data(rows * DESK_MODEL_FEATURES, 12);
    const fromFile = await system.kernels.run('model.onnx', { model: `${ROOT}${DESK_MODEL_FILE}`, feeds: { x: { data: x, dims: [rows, DESK_MODEL_FEATURES] } } });
    const reference = await system.kernels.run('mlp', { x, rows, layers: deskModelLayers() }, { backend: 'js' });
    expect(fromFile.y.dims).toEqual([rows, 1]);
    expectClose(fromFile.y.data, reference.out, 1e-5, 'the desk model (float32) against its layers on js');
    const err = await system.kernels.run('model.onnx', { model: `${ROOT}${DESK_MODEL_FILE}`, feeds: { x: { data: x, dims: [rows, DESK_MODEL_FEATURES] } } }, { backend: 'js' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BackendUnavailable', message: expect.stringContaining('runs on the onnx backend only') });
  });

  it("an actor's accelerator calls go straight to the pool thread over its lane", async () => {
    const ref = await system.spawn('engine', fixture('kernel-user'));
    const input = { a: [1, 2, 3, 4, 5, 6], b: [7, 8, 9, 10, 11, 12], m: 2, k: 3, n: 2 };
    const direct = () => system.kernels.stats().kernels.matmul?.webgpu?.direct ?? 0;
    for (let i = 0; i < 200 && direct() === 0; i++) {
      const outcome = (await ref.ask({ type: 'run', kernel: 'matmul', input, options: { backend: 'webgpu' } })) as { ok: boolean; result: { out: number[] } };
      expect(outcome.ok).toBe(true);
      expectClose(outcome.result.out, [58, 64, 139, 154], 1e-6, 'matmul from an actor on webgpu');
      await new Promise((r) => setTimeout(r, 60)); // lane calls are reported in batches every 50 ms
    }
    expect(direct()).toBeGreaterThan(0);
  });
});
