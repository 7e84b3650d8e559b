import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AcceleratorLoad } from '../src/kernels/backends/accelerator.js';
import { ACCELERATED_CORES } from '../src/kernels/backends/accelerated.js';
import { MLX_MODULE_ENV, open } from '../src/kernels/backends/mlx/backend.js';
import { loadMlx } from '../src/kernels/backends/mlx/library.js';
import type { Mlx, MxArray } from '../src/kernels/backends/mlx/mlx-types.js';
import { threefry2x32Graph, threefryStartWords } from '../src/kernels/backends/mlx/threefry-graph.js';
import { uint32Words } from '../src/kernels/backends/mlx/uint32.js';
import type { BackendCores } from '../src/kernels/cores.js';
import { jsCores } from '../src/kernels/cores-js.js';
import { reducedPortfolio, threefry2x32, uniform24 } from '../src/kernels/counter-rng.js';

// The mlx backend for real: @frost-beta/mlx on its default device (the CPU on Linux), in float32.
//
// Tolerance, derived rather than tuned (u = 2^-24, float32's unit roundoff; the f64 reference's own
// error, ~k 2^-53, is negligible beside it). Each bound is first order in u and worst case, so it
// cannot flake, while a wrong index, transposition or scenario is off by O(1) of the values:
// - A sum of k products from inputs rounded to float32 (2u on each product), each product rounded
//   (u) and k - 1 additions in any order (gamma_k <= k u, Higham, Accuracy and Stability of
//   Numerical Algorithms, 3.1): |mlx - js| <= (k + 3) u sum|terms|. matmul: k = inner size;
//   portfolioPnl: k = n; dense: k = inputs + 1 (the bias); ReLU is 1-Lipschitz, the sigmoid
//   (1/4-Lipschitz) adds its own float32 evaluation, 4u (exp within 1 ulp = 2u, an add, a divide).
// - covariance over `rows` rows, M = max |x| of the block, d the exact centred values: the inputs'
//   rounding, the means' sums and the subtraction put at most (rows + 5) u M on each centred value,
//   then the product sum and the divide: |mlx - js| <= (rows + 6) u sum_r (|d_ri| + M)(|d_rj| + M) / (rows - 1).
// - montecarloPnl, path p: each normal is within 11u r of the reference (r its pair's radius: 2u
//   from log and sqrt, 2 pi 2u from theta, cos or sin and the product one rounding each; measured
//   5.2u), v goes up rounded (u), then 2 ceil(n/2) products are summed: |mlx - js| <=
//   (2 ceil(n/2) + 13) u sum_j |v_j| r_j. The radii come from the reference generator.
const U = 2 ** -24;

/** Data independent of the kernels' generator: uniforms in [-1, 1) from an LCG. */
function data(length: number, seed: number): Float64Array {
  let s = seed >>> 0;
  return Float64Array.from({ length }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

const abs = (a: Float64Array): Float64Array => a.map(Math.abs);

/** |got - want| <= bound[i], elementwise. */
function expectWithin(got: Float64Array, want: Float64Array, bound: (i: number) => number, what: string): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const error = Math.abs(got[i]! - want[i]!);
    if (!(error <= bound(i))) throw new Error(`${what} [${i}]: mlx ${got[i]}, js ${want[i]}: error ${error} over the bound ${bound(i)}`);
  }
}

let load: AcceleratorLoad;
let mlx: BackendCores;

beforeAll(async () => {
  load = await open(jsCores);
  if (!load.ok) throw new Error(`mlx did not open here: ${load.reason}`);
  mlx = load.cores;
});
afterAll(async () => {
  if (load.ok) await load.close();
});

describe('mlx backend: opening', () => {
  it('opens on its default device and runs the accelerated cores there', () => {
    expect(load.ok ? load.device : load.reason).toMatch(/^mlx Device\((cpu|gpu), \d+\)$/);
    // The device's cores are its own, the others the CPU's (here jsCores).
    for (const name of ACCELERATED_CORES.mlx) expect(mlx[name]).not.toBe(jsCores[name]);
    expect(mlx.cholesky).toBe(jsCores.cholesky);
  });

  describe(MLX_MODULE_ENV, () => {
    const saved = process.env[MLX_MODULE_ENV];
    afterEach(() => {
      if (saved === undefined) delete process.env[MLX_MODULE_ENV];
      else process.env[MLX_MODULE_ENV] = saved;
    });

    it('pointing at a module that does not exist makes the backend unavailable, saying which', async () => {
      process.env[MLX_MODULE_ENV] = 'dualbus-test-no-such-mlx-module';
      const missing = await open(jsCores);
      expect(missing.ok).toBe(false);
      if (!missing.ok) expect(missing.reason).toContain('dualbus-test-no-such-mlx-module');
    });

    it('pointing at a module that is not MLX makes it unavailable too', async () => {
      process.env[MLX_MODULE_ENV] = 'node:path';
      const wrong = await open(jsCores);
      expect(wrong.ok ? 'opened' : wrong.reason).toMatch(/'node:path' loaded but has no MLX `core`/);
    });
  });

  it('profiles the last device call, and refuses calls once closed', async () => {
    const own = await open(jsCores);
    if (!own.ok) throw new Error(own.reason);
    const a = data(6, 1), out = new Float64Array(4);
    await own.cores.matmul(a, a, 2, 3, 2, out);
    const profile = own.profile();
    expect(profile.core).toBe('matmul');
    for (const ms of [profile.uploadMs, profile.computeMs, profile.downloadMs]) expect(ms).toBeGreaterThanOrEqual(0);
    await own.close();
    expect(() => own.cores.matmul(a, a, 2, 3, 2, out)).toThrow(/closed/);
  });
});

describe('mlx uint32 arithmetic and Threefry-2x32-20', () => {
  let mx: Mlx;
  beforeAll(async () => {
    const loaded = await loadMlx();
    if (!loaded.ok) throw new Error(loaded.reason);
    mx = loaded.mx;
  });

  it('holds words above 2^24 exactly (sent as 16-bit halves) and wraps adds mod 2^32', () => {
    const words = [0, 1, 0xffff, 0x10000, 2 ** 24 + 1, 0x7fffffff, 0x80000000, 0xdeadbeef, 0xffffffff];
    expect(uint32Words(mx, words).tolist()).toEqual(words);
    expect(mx.add(uint32Words(mx, [0xffffffff, 0xfffffffe]), uint32Words(mx, [2, 0xfffffffe])).tolist()).toEqual([1, 0xfffffffc]);
  });

  it('draws the words of counter-rng.ts, bit for bit, eagerly and compiled (the way the backend runs it)', () => {
    const graph = (start: MxArray, pathOffsets: MxArray, pairOffsets: MxArray): MxArray[] => threefry2x32Graph(mx, start, pathOffsets, pairOffsets);
    const compiled = mx.compile(graph);
    const paths = 5;
    const pairs = 3;
    const pathOffsets = mx.arange(0, paths, 1, mx.uint32).reshape([paths, 1]);
    const pairOffsets = mx.arange(0, pairs, 1, mx.uint32).reshape([1, pairs]);
    const expected = new Uint32Array(2);
    // Seeds and first paths with high bits set, and counters that wrap past 2^32 - 1 with the key added.
    for (const seed of [0, 1, 12345, 0xdeadbeef, 0xffffffff]) {
      for (const firstPath of [0, 2 ** 24 + 3, 2 ** 32 - 3]) {
        const start = uint32Words(mx, threefryStartWords(seed, firstPath));
        for (const run of [graph, compiled]) {
          const [words0, words1] = run(start, pathOffsets, pairOffsets) as [MxArray, MxArray];
          const got0 = words0.tolist() as number[][];
          const got1 = words1.tolist() as number[][];
          for (let i = 0; i < paths; i++) {
            for (let pair = 0; pair < pairs; pair++) {
              threefry2x32(seed, 0, firstPath + i, pair, expected);
              expect([got0[i]![pair], got1[i]![pair]], `seed ${seed}, path ${firstPath + i}, pair ${pair}`).toEqual([expected[0], expected[1]]);
            }
          }
        }
      }
    }
  });
});

describe('mlx cores against the js reference (float32 on the device)', () => {
  it('matmul, square and not', async () => {
    for (const [m, k, n] of [[1, 1, 1], [3, 5, 2], [17, 64, 9], [64, 33, 128], [120, 200, 70]] as const) {
      const a = data(m * k, m + 7 * k), b = data(k * n, n + 3 * k);
      const want = new Float64Array(m * n), got = new Float64Array(m * n), scale = new Float64Array(m * n);
      jsCores.matmul(a, b, m, k, n, want);
      jsCores.matmul(abs(a), abs(b), m, k, n, scale);
      await mlx.matmul(a, b, m, k, n, got);
      expectWithin(got, want, (i) => (k + 3) * U * scale[i]!, `matmul ${m}x${k}x${n}`);
    }
  });

  it('dense with every activation', async () => {
    for (const [rows, inputs, outputs] of [[1, 1, 1], [5, 7, 3], [32, 100, 10], [64, 17, 130]] as const) {
      const x = data(rows * inputs, rows), w = data(inputs * outputs, outputs), bias = data(outputs, inputs);
      const scale = new Float64Array(rows * outputs);
      jsCores.dense(abs(x), abs(w), abs(bias), rows, inputs, outputs, 0, scale);
      for (const activation of [0, 1, 2]) {
        const want = new Float64Array(rows * outputs), got = new Float64Array(rows * outputs);
        jsCores.dense(x, w, bias, rows, inputs, outputs, activation, want);
        await mlx.dense(x, w, bias, rows, inputs, outputs, activation, got);
        const linear = (i: number): number => (inputs + 4) * U * scale[i]!;
        expectWithin(got, want, activation === 2 ? (i) => linear(i) / 4 + 4 * U : linear, `dense ${rows}x${inputs}x${outputs} activation ${activation}`);
      }
    }
  });

  it('portfolioPnl', async () => {
    for (const [t, n] of [[1, 1], [50, 7], [300, 64], [1000, 3]] as const) {
      const returns = data(t * n, t), weights = data(n, n);
      const want = new Float64Array(t), got = new Float64Array(t), scale = new Float64Array(t);
      jsCores.portfolioPnl(returns, weights, t, n, want);
      jsCores.portfolioPnl(abs(returns), abs(weights), t, n, scale);
      await mlx.portfolioPnl(returns, weights, t, n, got);
      expectWithin(got, want, (i) => (n + 3) * U * scale[i]!, `portfolioPnl ${t}x${n}`);
    }
  });

  it('covariance of a block of rows, exactly symmetric', async () => {
    for (const [t, n, start, rows] of [[2, 1, 0, 2], [40, 5, 3, 30], [200, 33, 0, 200], [120, 64, 50, 70]] as const) {
      // Returns around a mean of 0.3 (not centred data), scaled like daily returns.
      const x = data(t * n, t + n).map((v) => 0.01 * (v + 0.3));
      const want = new Float64Array(n * n), got = new Float64Array(n * n);
      jsCores.covariance(x, t, n, start, rows, want);
      await mlx.covariance(x, t, n, start, rows, got);
      // The bound's sum_r (|d_ri| + M)(|d_rj| + M) as a product of matrices, d the exact centred rows.
      const block = x.subarray(start * n, (start + rows) * n);
      const mean = new Float64Array(n);
      for (let r = 0; r < rows; r++) for (let c = 0; c < n; c++) mean[c] += block[r * n + c]! / rows;
      const most = block.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const widened = block.map((v, i) => Math.abs(v - mean[i % n]!) + most);
      const transposed = new Float64Array(n * rows);
      for (let r = 0; r < rows; r++) for (let c = 0; c < n; c++) transposed[c * rows + r] = widened[r * n + c]!;
      const scale = new Float64Array(n * n);
      jsCores.matmul(transposed, widened, n, rows, n, scale);
      expectWithin(got, want, (i) => ((rows + 6) * U * scale[i]!) / (rows - 1), `covariance ${rows} rows of ${t}x${n} from ${start}`);
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(got[i * n + j]).toBe(got[j * n + i]);
    }
  });

  it('montecarloPnl draws the reference scenarios: every path, odd and even n, several blocks of paths', { timeout: 180_000 }, async () => {
    // n = 257 gives 129 pairs, so 8128 paths a block: 10000 paths take a full block and a partial one.
    // (The first run on a machine also builds MLX's fused kernels with g++: seconds.)
    for (const [n, paths, seed] of [[1, 500, 1], [2, 700, 0xffffffff], [7, 3000, 12345], [50, 2000, 7], [51, 2000, 0x9e3779b9], [257, 10_000, 42]] as const) {
      const chol = lowerTriangular(n, n + paths);
      const mean = data(n, n).map((v) => 0.001 * v);
      const weights = data(n, 2 * n + 1);
      const want = new Float64Array(paths), got = new Float64Array(paths);
      jsCores.montecarloPnl(chol, mean, weights, n, paths, seed, want);
      await mlx.montecarloPnl(chol, mean, weights, n, paths, seed, got);
      const { v } = reducedPortfolio(chol, mean, weights, n);
      const pairs = Math.ceil(n / 2);
      const words = new Uint32Array(2);
      expectWithin(
        got,
        want,
        (path) => {
          let scale = 0;
          for (let pair = 0; pair < pairs; pair++) {
            threefry2x32(seed, 0, path, pair, words);
            const radius = Math.sqrt(-2 * Math.log(uniform24(words[0]!)));
            scale += radius * (Math.abs(v[2 * pair]!) + (2 * pair + 1 < n ? Math.abs(v[2 * pair + 1]!) : 0));
          }
          return (2 * pairs + 13) * U * scale;
        },
        `montecarloPnl n ${n}, ${paths} paths, seed ${seed}`,
      );
    }
  });
});

/** A Cholesky factor: lower triangular, positive diagonal, off-diagonal entries in [-0.2, 0.2). */
function lowerTriangular(n: number, seed: number): Float64Array {
  const values = data(n * n, seed);
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) l[i * n + j] = 0.2 * values[i * n + j]!;
    l[i * n + i] = 0.5 + Math.abs(values[i * n + i]!);
  }
  return l;
}
