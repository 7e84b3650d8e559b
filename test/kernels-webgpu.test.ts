import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcceleratorLoad } from '../src/kernels/backends/accelerator.js';
import { open, openedGpu } from '../src/kernels/backends/webgpu/backend.js';
import type { BackendCores } from '../src/kernels/cores.js';
import { jsCores } from '../src/kernels/cores-js.js';
import { ScenarioNormals, reducedPortfolio } from '../src/kernels/counter-rng.js';

// The webgpu backend for real: Dawn on whatever Vulkan driver this machine has (CI: Mesa's
// lavapipe, software Vulkan from bookworm-backports; a GPU where there is one).
//
// Tolerance: the GPU computes in f32 (unit roundoff u = 2^-24). A sum of k products computed in
// f32 from inputs rounded to f32 is within (k + 2) u sum|terms| of the exact sum (the standard
// bound for recursive summation, plus the two roundings of the inputs); the tests allow 4x that,
// against the f64 reference of cores-js.ts. A wrong index or a wrong generator is off by O(1) of
// the values, far outside it. Monte Carlo also goes through WGSL's log, sqrt, cos and sin, which
// the WGSL spec bounds only to 2^-11 absolute for cos and sin: its paths are allowed 1e-3 of
// |base| + sum |v_j z_j| (measured on lavapipe: ~1e-7).
const U = 2 ** -24;
const HERE = new URL('..', import.meta.url).pathname;
const run = promisify(execFile);

function data(length: number, seed: number): Float64Array {
  let s = seed >>> 0;
  return Float64Array.from({ length }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

/** |got - want| <= 4 (terms + 2) u scale, elementwise. */
function expectWithin(got: Float64Array, want: Float64Array, terms: number, scale: Float64Array | number, what: string): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const s = typeof scale === 'number' ? scale : scale[i]!;
    if (Number.isNaN(want[i]!)) expect(got[i], `${what} [${i}]`).toBeNaN();
    else expect(Math.abs(got[i]! - want[i]!), `${what} [${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(4 * (terms + 2) * U * s + 1e-30);
  }
}

const abs = (a: Float64Array): Float64Array => a.map(Math.abs);

async function expectPortfolioPnl(x: Float64Array, w: Float64Array, t: number, n: number, what: string): Promise<void> {
  const want = new Float64Array(t), got = new Float64Array(t), scale = new Float64Array(t);
  jsCores.portfolioPnl(x, w, t, n, want);
  jsCores.portfolioPnl(abs(x), abs(w), t, n, scale);
  await gpu.portfolioPnl(x, w, t, n, got);
  expectWithin(got, want, n, scale, what);
}

let load: AcceleratorLoad;
let gpu: BackendCores;

beforeAll(async () => {
  load = await open(jsCores, { webgpu: { idleMs: 300, powerPreference: 'high-performance' }, onnx: { executionProvider: 'cpu' }, probeTimeoutMs: 30_000 });
  if (!load.ok) throw new Error(`webgpu did not open here: ${load.reason} (CI installs mesa-vulkan-drivers from bookworm-backports)`);
  gpu = load.cores;
});
afterAll(async () => {
  if (load.ok) await load.close();
});

describe('webgpu cores against the js reference (f32 on the device)', () => {
  it('matmul and dense, shapes that are and are not multiples of the 64 x 64 tile, every activation', async () => {
    for (const [m, k, n] of [[1, 1, 1], [3, 5, 7], [64, 64, 64], [65, 17, 130], [200, 300, 70]] as const) {
      const a = data(m * k, m), b = data(k * n, n), bias = data(n, k);
      const want = new Float64Array(m * n), got = new Float64Array(m * n), scale = new Float64Array(m * n);
      jsCores.matmul(abs(a), abs(b), m, k, n, scale);
      jsCores.matmul(a, b, m, k, n, want);
      await gpu.matmul(a, b, m, k, n, got);
      expectWithin(got, want, k, scale, `matmul ${m}x${k}x${n}`);
      for (const activation of [0, 1, 2]) {
        jsCores.dense(a, b, bias, m, k, n, activation, want);
        await gpu.dense(a, b, bias, m, k, n, activation, got);
        // ReLU and the sigmoid (slope <= 1/4) do not widen the error; abs(bias) adds its term.
        const biased = scale.map((s, i) => s + Math.abs(bias[i % n]!));
        expectWithin(got, want, k + 1, biased, `dense ${m}x${k}x${n} activation ${activation}`);
      }
    }
  });

  it('portfolioPnl, covariance and rolling moments', async () => {
    const t = 500, n = 7;
    const x = data(t * n, 11);
    await expectPortfolioPnl(x, data(n, 12), t, n, 'portfolioPnl');

    const cw = new Float64Array(n * n), cg = new Float64Array(n * n);
    jsCores.covariance(x, t, n, 100, 250, cw);
    await gpu.covariance(x, t, n, 100, 250, cg);
    expectWithin(cg, cw, 250, 1 / 3, 'covariance'); // centred uniforms on [-1, 1]: sum |d_i d_j| / (rows - 1) <= ~1/3

    for (const window of [2, 20, t]) {
      const [mw, sw, mg, sg] = [0, 1, 2, 3].map(() => new Float64Array(t * n));
      jsCores.rollingMoments(x, t, n, window, mw!, sw!);
      await gpu.rollingMoments(x, t, n, window, mg!, sg!);
      expectWithin(mg!, mw!, window, 1, `rolling mean window ${window}`);
      expectWithin(sg!, sw!, 2 * window, 1, `rolling std window ${window}`);
    }
  });

  it('montecarloPnl draws the reference scenarios (odd and even n, seeds beyond 2^31)', async () => {
    for (const [n, paths, seed] of [[1, 100, 0], [5, 3000, 42], [12, 1000, 2 ** 32 - 1]] as const) {
      const chol = new Float64Array(n * n);
      jsCores.cholesky(Float64Array.from({ length: n * n }, (_, i) => (Math.floor(i / n) === i % n ? 2 : 0.3)), n, chol);
      const mean = data(n, 3).map((v) => v / 100), weights = data(n, 4);
      const want = new Float64Array(paths), got = new Float64Array(paths);
      jsCores.montecarloPnl(chol, mean, weights, n, paths, seed, want);
      await gpu.montecarloPnl(chol, mean, weights, n, paths, seed, got);
      const { base, v } = reducedPortfolio(chol, mean, weights, n);
      const normals = new ScenarioNormals(seed), z = new Float64Array(n);
      for (let p = 0; p < paths; p++) {
        normals.fill(p, z, n);
        let scale = Math.abs(base);
        for (let j = 0; j < n; j++) scale += Math.abs(v[j]! * z[j]!);
        expect(Math.abs(got[p]! - want[p]!), `n ${n} seed ${seed} path ${p}`).toBeLessThanOrEqual(1e-3 * scale);
      }
    }
  });

  it('runs scenarios larger than the device\'s largest buffer in parts (portfolioPnl)', async (test) => {
    const n = 64;
    const t = Math.floor(openedGpu()!.maxBindingBytes / 4 / n) + 1000; // one binding would need more than the device allows
    if (t * n * 8 > 2 ** 30) test.skip(); // a GPU with buffers past 128 MiB: the input would take over 1 GiB of f64 here
    await expectPortfolioPnl(data(t * n, 22), data(n, 23), t, n, 'portfolioPnl in parts');
  });

  it('reuses its device, pipelines and buffers while busy; destroys the device when idle and makes a new one at the next call', async () => {
    const device = openedGpu()!;
    const before = device.created;
    const a = data(16, 1), out = new Float64Array(16);
    await gpu.matmul(a, a, 4, 4, 4, out);
    const [pipelines, buffers] = [device.pipelinesCompiled, device.buffersAllocated];
    await gpu.matmul(a, a, 4, 4, 4, out);
    await gpu.matmul(data(9, 2), data(9, 3), 3, 3, 3, out); // another size of the same size class
    expect(device.created).toBe(before); // no idle gap between calls: the same device
    expect([device.pipelinesCompiled, device.buffersAllocated]).toEqual([pipelines, buffers]); // nothing compiled or allocated again
    await new Promise((r) => setTimeout(r, 700)); // idleMs 300
    await gpu.matmul(a, a, 4, 4, 4, out);
    expect(device.created).toBe(before + 1);
    const want = new Float64Array(16);
    jsCores.matmul(a, a, 4, 4, 4, want);
    expectWithin(out, want, 4, 4, 'matmul after the device was made again');
  });
});

describe('availability', () => {
  const script = (extra: string) => `
import { createSystem } from 'dualbus';
const system = await createSystem({ logger: undefined, kernels: { calibrationFile: false, backends: ['js', 'webgpu'] } });
const out = { backends: await system.kernels.backends() };
out.auto = (await system.kernels.run('matmul', { a: new Float64Array([1, 2, 3, 4]), b: new Float64Array([1, 0, 0, 1]), m: 2, k: 2, n: 2 })).out.join(',');
out.forced = await system.kernels.run('matmul', { a: new Float64Array(1), b: new Float64Array(1), m: 1, k: 1, n: 1 }, { backend: 'webgpu' }).then(() => 'ran', (e) => e.code + ': ' + e.message);
${extra}
await system.shutdown();
console.log(JSON.stringify(out));
`;

  it.each([
    ['the webgpu package is missing', { DUALBUS_WEBGPU_MODULE: 'webgpu-not-installed' }, /the module 'webgpu-not-installed' did not load/],
    ['there is no Vulkan driver', { VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' }, /no GPU adapter/],
  ])('when %s: unavailable with the reason, auto runs on js, nothing hangs or crashes', async (_what, env, reason) => {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script('')], { env: { ...process.env, ...env }, cwd: HERE, timeout: 60_000 });
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(out.backends.webgpu.available).toBe(false);
    expect(out.backends.webgpu.reason).toMatch(reason);
    expect(out.auto).toBe('1,2,3,4');
    expect(out.forced).toMatch(/^BackendUnavailable: kernel 'matmul' cannot run on backend 'webgpu': /);
  });

  it('the process exits by itself after shutdown() with a webgpu device in use', async () => {
    const started = Date.now();
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script("out.ran = (await system.kernels.run('matmul', { a: new Float64Array([2]), b: new Float64Array([3]), m: 1, k: 1, n: 1 }, { backend: 'webgpu' })).out[0];")], {
      cwd: HERE,
      timeout: 60_000,
    });
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(out.backends.webgpu.available).toBe(true);
    expect(out.ran).toBe(6);
    expect(Date.now() - started).toBeLessThan(60_000); // the timeout would have killed it (and failed the run) otherwise
  });
});
