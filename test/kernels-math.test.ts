import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { factorsKernel } from '../src/kernels/builtin/factors.js';
import { BUILTIN_KERNELS } from '../src/kernels/builtin/index.js';
import { matmulKernel } from '../src/kernels/builtin/matmul.js';
import { mlpKernel } from '../src/kernels/builtin/mlp.js';
import { normalCdf, normalPdf, normalQuantile } from '../src/kernels/builtin/normal.js';
import { varHistoricalKernel } from '../src/kernels/builtin/var-historical.js';
import { varMonteCarloKernel } from '../src/kernels/builtin/var-montecarlo.js';
import { varParametricKernel } from '../src/kernels/builtin/var-parametric.js';
import { createVpinState, vpinIncrementalKernel, vpinKernel, type VpinOutput } from '../src/kernels/builtin/vpin.js';
import { jsCores } from '../src/kernels/cores-js.js';
import type { KernelDefinition } from '../src/kernels/define.js';
import { KernelArgumentError } from '../src/kernels/errors.js';
import { runKernel, runKernelSync } from './kernel-context.js';

// Reference values below come from mpmath at 40 digits, or are worked out by hand in the test.

/** Uniforms in [-1, 1) from a tiny LCG: test data independent of the kernels' own generator. */
function uniforms(length: number, seed: number): Float64Array {
  let s = seed >>> 0;
  return Float64Array.from({ length }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i], expected[i]];
    if (Number.isNaN(e)) expect(a, `index ${i}`).toBeNaN();
    else expect(Math.abs(a - e), `index ${i}: ${a} vs ${e}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(e)));
  }
}

async function expectArgumentError(kernel: KernelDefinition, input: unknown, argument: string, ...parts: string[]): Promise<void> {
  let caught: unknown;
  try {
    await runKernel(kernel, input);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(KernelArgumentError);
  const err = caught as KernelArgumentError;
  expect(err.argument).toBe(argument);
  expect(err.message).toContain(`kernel '${kernel.name}': argument '${argument}' must be `);
  for (const part of parts) expect(err.message).toContain(part);
}

describe('normal distribution', () => {
  const cdf: Array<[number, number]> = [
    [0, 0.5], [0.5, 0.6914624612740131], [-1, 0.15865525393145705], [1.96, 0.9750021048517795], [-3, 0.0013498980316300946],
    [4, 0.9999683287581669], [-5.5, 1.8989562465887718e-8], [-8, 6.220960574271784e-16], [-12, 1.776482112077679e-33],
    [-20, 2.7536241186062337e-89], [-30, 4.906713927148187e-198], [7, 0.9999999999987201],
  ];
  it('Phi matches high-precision values to ~1e-15 relative, tails included', async () => {
    for (const [x, p] of cdf) expect(Math.abs(normalCdf(x) - p) / p, `Phi(${x})`).toBeLessThan(2e-15);
    expect([normalCdf(Infinity), normalCdf(-Infinity), normalCdf(-40)]).toEqual([1, 0, 0]);
  });
  it('phi is the density', async () => {
    expect(normalPdf(0)).toBeCloseTo(0.3989422804014327, 15);
    expect(Math.abs(normalPdf(-5.5) - 1.0769760042543276e-7) / 1.0769760042543276e-7).toBeLessThan(1e-14);
  });
  it('Phi^-1 matches high-precision quantiles and inverts Phi', async () => {
    const q: Array<[number, number]> = [
      [1e-300, -37.0470962993612], [1e-10, -6.361340902404057], [0.001, -3.0902323061678136], [0.3, -0.5244005127080408],
      [0.95, 1.6448536269514722], [0.975, 1.9599639845400538], [0.99, 2.3263478740408408], [0.999, 3.090232306167813],
    ];
    for (const [p, z] of q) expect(Math.abs(normalQuantile(p) - z) / Math.abs(z), `Phi^-1(${p})`).toBeLessThan(2e-15);
    expect([normalQuantile(0.5), normalQuantile(0), normalQuantile(1), normalQuantile(1.5)]).toEqual([0, -Infinity, Infinity, NaN]);
    for (const p of uniforms(200, 5)) expect(Math.abs(normalCdf(normalQuantile(Math.abs(p))) / Math.abs(p) - 1)).toBeLessThan(1e-13);
  });
});

describe('matmul and mlp', () => {
  it('multiplies a hand example', async () => {
    const a = Float64Array.of(1, 2, 3, 4, 5, 6);
    const b = Float64Array.of(7, 8, 9, 10, 11, 12);
    expect(Array.from((await runKernel(matmulKernel, { a, b, m: 2, k: 3, n: 2 })).out)).toEqual([58, 64, 139, 154]);
  });
  it('equals a naive triple loop (small integers: exact)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer(), async (m, k, n, seed) => {
        const a = uniforms(m * k, seed).map((v) => Math.round(10 * v));
        const b = uniforms(k * n, seed + 1).map((v) => Math.round(10 * v));
        const expected: number[] = [];
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) expected.push(Array.from({ length: k }, (_, p) => a[i * k + p] * b[p * n + j]).reduce((s, v) => s + v, 0));
        expect(Array.from((await runKernel(matmulKernel, { a, b, m, k, n })).out)).toEqual(expected);
      }),
    );
  });
  it('runs a hand-worked 2-layer network (relu then sigmoid)', async () => {
    // Row (1, 2): hidden relu(1*1 + 2*0.5 + 0, 1*-1 + 2*2 - 1) = (2, 2); out sigmoid(2*1 + 2*-0.5 + 0.5) = sigmoid(1.5).
    // Row (-1, 0.5): hidden relu(-0.75, 1) = (0, 1); out sigmoid(0 - 0.5 + 0.5) = 0.5.
    const result = await runKernel(mlpKernel, {
      x: Float64Array.of(1, 2, -1, 0.5),
      rows: 2,
      layers: [
        { w: Float64Array.of(1, -1, 0.5, 2), b: Float64Array.of(0, -1), activation: 'relu' },
        { w: Float64Array.of(1, -0.5), b: Float64Array.of(0.5), activation: 'sigmoid' },
      ],
    });
    expect(result.outputs).toBe(1);
    expectClose(result.out, [1 / (1 + Math.exp(-1.5)), 0.5], 1e-15);
  });
  it('a linear layer is x w + b', async () => {
    const x = uniforms(3 * 4, 1);
    const w = uniforms(4 * 2, 2);
    const b = Float64Array.of(0.25, -0.5);
    const { out } = await runKernel(mlpKernel, { x, rows: 3, layers: [{ w, b, activation: 'linear' }] });
    const expected: number[] = [];
    for (let r = 0; r < 3; r++) for (let j = 0; j < 2; j++) expected.push(b[j] + [0, 1, 2, 3].reduce((s, p) => s + x[r * 4 + p] * w[p * 2 + j], 0));
    expectClose(out, expected, 1e-15);
  });
});

/** Scenario P&L of the historical hand example, and returns (p_i + i, 2i) that give it with weights (1, -0.5). */
const PNL = [3, -7, 1, 0, -2, 5, -12, 4, 2, -1, 6, -4, 8, -3, 1.5, -0.5, 7, -9, 2.5, -6];
const HAND = { returns: Float64Array.from(PNL.flatMap((p, i) => [p + i, 2 * i])), t: 20, n: 2, weights: Float64Array.of(1, -0.5) };

/** Correlated daily returns for the parametric and Monte Carlo tests: a common factor and one of its own per instrument. */
function correlatedReturns(t: number, seed: number): Float64Array {
  const f = uniforms(5 * t, seed);
  return Float64Array.from({ length: 4 * t }, (_, i) => {
    const [r, c] = [Math.floor(i / 4), i % 4];
    return 0.001 * (c + 1) + 0.02 * ((1 - 0.3 * c) * f[5 * r] + 0.6 * f[5 * r + 1 + c]);
  });
}

describe('VaR', () => {
  it('historical: the hand example (sorted P&L -12, -9, -7, -6, ...)', async () => {
    const r = await runKernel(varHistoricalKernel, { ...HAND, confidence: [0.95, 0.9, 0.8, 0.87, 0.99] });
    // j = ceil((1 - c) 20) - 1: 0.95 -> 0, 0.9 -> 1, 0.8 -> 3, 0.87 -> ceil(2.6) - 1 = 2, 0.99 -> 0.
    expectClose(r.var, [12, 9, 6, 7, 12], 0);
    expectClose(r.es, [12, 10.5, 8.5, 28 / 3, 12], 1e-15);
    expect(r.rows).toBe(20);
    expect(Array.from((await runKernel(varHistoricalKernel, HAND)).var)).toEqual([12, 12]); // default levels 0.95, 0.99
  });
  it('NaN policies: skip drops the row, zero reads 0, reject names row and column', async () => {
    const returns = HAND.returns.slice();
    returns[3 * 2 + 1] = NaN; // row 3 (P&L 0), column 1
    const skip = await runKernel(varHistoricalKernel, { ...HAND, returns, nan: 'skip', confidence: [0.9, 0.5] });
    // 19 rows left: 0.9 -> ceil(1.9) - 1 = 1: VaR 9, ES 10.5; 0.5 -> ceil(9.5) - 1 = 9: the 10 lowest without the 0.
    expect(skip.rows).toBe(19);
    expectClose(skip.var, [9, -1], 0);
    expectClose(skip.es, [10.5, -(-12 - 9 - 7 - 6 - 4 - 3 - 2 - 1 - 0.5 + 1) / 10], 1e-15);
    const zero = await runKernel(varHistoricalKernel, { ...HAND, returns, nan: 'zero', confidence: [0.5] });
    // Row 3 reads (3, 0): P&L 3 instead of 0, so the 10 lowest are -12 .. -0.5 and 1.
    expect(zero.rows).toBe(20);
    expectClose(zero.var, [-1], 0);
    expectClose(zero.es, [-(-12 - 9 - 7 - 6 - 4 - 3 - 2 - 1 - 0.5 + 1) / 10], 1e-15);
    await expectArgumentError(varHistoricalKernel, { ...HAND, returns }, 'returns', 'free of NaN', 'row 3, column 1');
  });
  const t = 500;
  const returns = correlatedReturns(t, 11);
  const weights = Float64Array.of(1, -0.5, 2, 0.75);
  it('parametric: the delta-normal closed form from the sample mean and covariance', async () => {
    const mean = [0, 1, 2, 3].map((c) => Array.from({ length: t }, (_, r) => returns[r * 4 + c]).reduce((s, v) => s + v, 0) / t);
    let variance = 0;
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        let s = 0;
        for (let r = 0; r < t; r++) s += (returns[r * 4 + i] - mean[i]) * (returns[r * 4 + j] - mean[j]);
        variance += (weights[i] * weights[j] * s) / (t - 1);
      }
    }
    const [mu, sigma] = [mean.reduce((s, m, i) => s + m * weights[i], 0), Math.sqrt(variance)];
    const z = [1.6448536269514722, 2.3263478740408408];
    const density = z.map((v) => Math.exp(-v * v / 2) / Math.sqrt(2 * Math.PI));
    const r = await runKernel(varParametricKernel, { returns, t, n: 4, weights });
    expectClose(r.var, z.map((v) => v * sigma - mu), 1e-12);
    expectClose(r.es, [(sigma * density[0]) / 0.05 - mu, (sigma * density[1]) / 0.01 - mu], 1e-12);
  });
  it('Monte Carlo converges to parametric, repeats for a seed, differs for another', async () => {
    const input = { returns, t, n: 4, weights, confidence: [0.95, 0.99] };
    const parametric = await runKernel(varParametricKernel, input);
    const mc = await runKernel(varMonteCarloKernel, { ...input, paths: 400_000, seed: 42 });
    for (let i = 0; i < 2; i++) {
      expect(Math.abs(mc.var[i] / parametric.var[i] - 1)).toBeLessThan(0.02);
      expect(Math.abs(mc.es[i] / parametric.es[i] - 1)).toBeLessThan(0.02);
    }
    const again = await runKernel(varMonteCarloKernel, { ...input, paths: 2000, seed: 7 });
    expect(await runKernel(varMonteCarloKernel, { ...input, paths: 2000, seed: 7 })).toEqual(again);
    expect(Array.from((await runKernel(varMonteCarloKernel, { ...input, paths: 2000, seed: 8 })).var)).not.toEqual(Array.from(again.var));
  });
  it('cholesky: L L\' = S, lower triangular; refuses a matrix that is not positive definite', async () => {
    const a = uniforms(25, 3);
    const s = new Float64Array(25);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) s[i * 5 + j] = (i === j ? 1 : 0) + [0, 1, 2, 3, 4].reduce((acc, p) => acc + a[i * 5 + p] * a[j * 5 + p], 0);
    const l = new Float64Array(25);
    expect(jsCores.cholesky(s, 5, l)).toBe(true);
    const llt = Float64Array.from({ length: 25 }, (_, ij) => [0, 1, 2, 3, 4].reduce((acc, p) => acc + l[Math.floor(ij / 5) * 5 + p] * l[(ij % 5) * 5 + p], 0));
    expectClose(llt, s, 1e-14);
    for (let i = 0; i < 5; i++) for (let j = i + 1; j < 5; j++) expect(l[i * 5 + j]).toBe(0);
    expect(jsCores.cholesky(Float64Array.of(1, 2, 2, 1), 2, new Float64Array(4))).toBe(false);
    expect(jsCores.cholesky(Float64Array.of(1, 1, 1, 1), 2, new Float64Array(4))).toBe(false);
    const collinear = Float64Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? uniforms(10, 4)[i / 2] : 2 * uniforms(10, 4)[(i - 1) / 2]));
    await expectArgumentError(varMonteCarloKernel, { returns: collinear, t: 10, n: 2, weights: Float64Array.of(1, 1) }, 'returns', 'positive definite');
  });
});

describe('factors', () => {
  it('rolling moments and EWMA on hand examples', async () => {
    const [mean, std, vol] = [new Float64Array(3), new Float64Array(3), new Float64Array(3)];
    jsCores.rollingMoments(Float64Array.of(1, 2, 4), 3, 1, 2, mean, std);
    expectClose(mean, [NaN, 1.5, 3], 0);
    expectClose(std, [NaN, Math.sqrt(0.5), Math.sqrt(2)], 1e-15);
    // s2: 1, 0.5 * 1 + 0.5 * 4 = 2.5, 0.5 * 2.5 + 0.5 * 9 = 5.75
    jsCores.ewmaVolatility(Float64Array.of(1, 2, 3), 3, 1, 0.5, vol);
    expectClose(vol, [1, Math.sqrt(2.5), Math.sqrt(5.75)], 1e-15);
  });
  it('equals naive window loops, the EWMA recursion, and covariance/correlation of the last window', async () => {
    const [t, n, windows, lambda] = [30, 3, [2, 7, 30], 0.9];
    const x = uniforms(t * n, 21).map((v, i) => v + (i % n)); // columns with different means
    const r = await runKernel(factorsKernel, { x, t, n, windows, lambda });
    const at = (row: number, c: number) => x[row * n + c];
    const [mean, std, z, cov, corr]: number[][] = [[], [], [], [], []];
    for (const w of windows) {
      for (let row = 0; row < t; row++) {
        for (let c = 0; c < n; c++) {
          if (row < w - 1) {
            mean.push(NaN), std.push(NaN), z.push(NaN);
            continue;
          }
          let s = 0;
          for (let k = 0; k < w; k++) s += at(row - k, c);
          let ss = 0;
          for (let k = 0; k < w; k++) ss += (at(row - k, c) - s / w) ** 2;
          mean.push(s / w), std.push(Math.sqrt(ss / (w - 1))), z.push((at(row, c) - s / w) / Math.sqrt(ss / (w - 1)));
        }
      }
      const m = [0, 1, 2].map((c) => Array.from({ length: w }, (_, k) => at(t - 1 - k, c)).reduce((s, v) => s + v, 0) / w);
      const cv = (i: number, j: number) => Array.from({ length: w }, (_, k) => (at(t - 1 - k, i) - m[i]) * (at(t - 1 - k, j) - m[j])).reduce((s, v) => s + v, 0) / (w - 1);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) cov.push(cv(i, j)), corr.push(cv(i, j) / Math.sqrt(cv(i, i) * cv(j, j)));
    }
    expectClose(r.mean, mean, 1e-13);
    expectClose(r.std, std, 1e-12);
    expectClose(r.zscore, z, 1e-10);
    expectClose(r.cov, cov, 1e-13);
    expectClose(r.corr, corr, 1e-12);
    const ewma: number[] = new Array(t * n);
    for (let c = 0; c < n; c++) {
      let s2 = at(0, c) ** 2;
      for (let row = 0; row < t; row++) {
        if (row > 0) s2 = lambda * s2 + (1 - lambda) * at(row, c) ** 2;
        ewma[row * n + c] = Math.sqrt(s2);
      }
    }
    expectClose(r.ewmaVol, ewma, 1e-14);
  });
});

describe('VPIN', () => {
  // Bars of 60 s: bar 0 = trades at 0 and 30 s (volume 5, close 101, dp 0), bar 1 = 60 s (volume 4, close 102,
  // dp 1), bar 3 = 200 s (volume 6, close 100, dp -2; bar 2 has no trades). Buckets of V = 4, n = 2:
  // bucket 1 = 4 of bar 0; bucket 2 = 1 of bar 0 + 3 of bar 1; bucket 3 = 1 of bar 1 + 3 of bar 3; 3 of bar 3 left over.
  const trades = { time: Float64Array.of(0, 30, 60, 200), price: Float64Array.of(100, 101, 102, 100), volume: Float64Array.of(3, 2, 4, 6) };
  const params = { barSeconds: 60, bucketVolume: 4, buckets: 2 };
  const expectBuckets = (r: VpinOutput, fracs: [number, number, number], count: number) => {
    const buy = [4 * fracs[0], fracs[0] + 3 * fracs[1], fracs[1] + 3 * fracs[2]];
    const imbalance = buy.map((b) => Math.abs(2 * b - 4));
    expect(r.count).toBe(count);
    expectClose(r.buyVolume, buy.slice(0, count), 1e-15);
    expectClose(r.vpin, [NaN, (imbalance[0] + imbalance[1]) / 8, (imbalance[1] + imbalance[2]) / 8].slice(0, count), 1e-15);
  };
  it('a hand-worked stream with a given sigma (buy fractions Phi(0), Phi(1), Phi(-2))', async () => {
    expectBuckets(await runKernel(vpinKernel, { ...trades, ...params, sigma: 1 }), [0.5, 0.8413447460685429, 0.02275013194817921], 3);
  });
  it('the same with sigma estimated from the dp seen so far (none, sd(0, 1), sd(0, 1, -2))', async () => {
    // With one dp the fraction is 0.5; then Phi(1 / sqrt(0.5)) and Phi(-2 / sqrt(7/3)).
    expectBuckets(await runKernel(vpinKernel, { ...trades, ...params }), [0.5, 0.9213503964748574, 0.09521513191276205], 3);
  });
  it('incremental keeps the last bar open until a later trade closes it', async () => {
    const state = createVpinState(2);
    expectBuckets(await runKernel(vpinIncrementalKernel, { ...trades, ...params, sigma: 1, state }), [0.5, 0.8413447460685429, 0], 2);
    const next = await runKernel(vpinIncrementalKernel, { time: Float64Array.of(250), price: Float64Array.of(99), volume: Float64Array.of(1), ...params, sigma: 1, state });
    expect(next.count).toBe(1);
    expectClose(next.buyVolume, [0.8413447460685429 + 3 * 0.02275013194817921], 1e-15);
  });
  it('incremental over any chunking gives exactly the batch buckets of the bars closed so far', async () => {
    const trade = fc.record({ gap: fc.integer({ min: 0, max: 90 }), move: fc.integer({ min: -3, max: 3 }), volume: fc.integer({ min: 1, max: 50 }) });
    fc.assert(
      fc.property(
        fc.array(trade, { minLength: 1, maxLength: 80 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.constantFrom(10, 37.5, 100),
        fc.integer({ min: 1, max: 5 }),
        fc.option(fc.constantFrom(0.7, 2), { nil: undefined }),
        (list, cuts, bucketVolume, buckets, sigma) => {
          let [time, price] = [0, 100];
          const stream = list.map(({ gap, move, volume }) => ({ time: (time += gap), price: (price += move), volume }));
          const column = (rows: typeof stream, key: 'time' | 'price' | 'volume') => Float64Array.from(rows, (row) => row[key]);
          const p = { barSeconds: 60, bucketVolume, buckets, sigma };
          const state = createVpinState(buckets);
          const bounds = [0, ...cuts.map((c) => c % (stream.length + 1)).sort((a, b) => a - b), stream.length];
          const [vpin, buy]: number[][] = [[], []];
          for (let i = 1; i < bounds.length; i++) {
            const chunk = stream.slice(bounds[i - 1], bounds[i]);
            const r = runKernelSync(vpinIncrementalKernel, { time: column(chunk, 'time'), price: column(chunk, 'price'), volume: column(chunk, 'volume'), ...p, state });
            vpin.push(...r.vpin), buy.push(...r.buyVolume);
          }
          const lastBar = Math.floor(stream[stream.length - 1].time / 60);
          const closed = stream.filter((row) => Math.floor(row.time / 60) < lastBar);
          const batch = runKernelSync(vpinKernel, { time: column(closed, 'time'), price: column(closed, 'price'), volume: column(closed, 'volume'), ...p });
          expect(vpin).toEqual(Array.from(batch.vpin));
          expect(buy).toEqual(Array.from(batch.buyVolume));
        },
      ),
    );
  });
});

describe('argument errors name the argument, what was expected and what was given', () => {
  const mm = { a: new Float64Array(6), b: new Float64Array(6), m: 2, k: 3, n: 2 };
  const layers = [{ w: new Float64Array(4), b: new Float64Array(2), activation: 'relu' }, { w: new Float64Array(3), b: new Float64Array(1), activation: 'linear' }];
  const vp = { ...{ time: Float64Array.of(0, 1), price: Float64Array.of(1, 2), volume: Float64Array.of(1, 1) }, barSeconds: 60, bucketVolume: 4, buckets: 2 };
  const cases: Array<[KernelDefinition, unknown, string, ...string[]]> = [
    [matmulKernel, { ...mm, a: new Float64Array(5) }, 'a', 'a Float64Array of length 6 (m x k = 2 x 3)', 'Float64Array of length 5'],
    [matmulKernel, { ...mm, b: [1, 2, 3, 4, 5, 6] }, 'b', 'Float64Array of length 6', 'an array of length 6'],
    [matmulKernel, { ...mm, m: 1.5 }, 'm', 'a positive integer', 'got 1.5'],
    [matmulKernel, 'nope', 'input', 'an object { a, b, m, k, n }', 'got "nope"'],
    [mlpKernel, { x: new Float64Array(4), rows: 2, layers }, 'layers[1].w', 'length 2 (inputs x outputs = 2 x 1', 'Float64Array of length 3'],
    [mlpKernel, { x: new Float64Array(4), rows: 2, layers: [{ ...layers[0], activation: 'tanh' }] }, 'layers[0].activation', "'relu'", 'got "tanh"'],
    [mlpKernel, { x: new Float64Array(5), rows: 2, layers }, 'x', 'multiple of rows (2)', 'length 5'],
    [varHistoricalKernel, { ...HAND, returns: new Float64Array(39) }, 'returns', 'length 40 (t x n = 20 x 2)', 'length 39'],
    [varHistoricalKernel, { ...HAND, weights: new Float32Array(2) }, 'weights', 'a Float64Array of length 2', 'Float32Array of length 2'],
    [varHistoricalKernel, { ...HAND, confidence: [0.95, 1.5] }, 'confidence[1]', 'a number in (0, 1)', 'got 1.5'],
    [varHistoricalKernel, { ...HAND, nan: 'drop' }, 'nan', "one of 'reject', 'skip', 'zero'", 'got "drop"'],
    [varHistoricalKernel, { ...HAND, t: 0 }, 't', 'a positive integer', 'got 0'],
    [varParametricKernel, { ...HAND, t: 1, returns: new Float64Array(2) }, 't', 'at least 2', 'got 1'],
    [varMonteCarloKernel, { ...HAND, paths: -1 }, 'paths', 'a positive integer', 'got -1'],
    [varMonteCarloKernel, { ...HAND, seed: 0.5 }, 'seed', 'an integer in [0, 2^32)', 'got 0.5'],
    [factorsKernel, { x: new Float64Array(30), t: 10, n: 3, windows: [5, 1] }, 'windows[1]', 'an integer in 2..t (t = 10)', 'got 1'],
    [factorsKernel, { x: new Float64Array(30), t: 10, n: 3 }, 'windows[2]', 'the default windows [5, 10, 20, 60] need t >= 60', 'got 20'],
    [factorsKernel, { x: new Float64Array(30), t: 10, n: 3, windows: [5], lambda: 1 }, 'lambda', 'a number in (0, 1)', 'got 1'],
    [vpinKernel, { ...vp, price: Float64Array.of(1) }, 'price', 'length 2 (one per trade, as time)', 'length 1'],
    [vpinKernel, { ...vp, volume: Float64Array.of(1, 0) }, 'volume', 'finite numbers > 0', '0 at index 1'],
    [vpinKernel, { ...vp, time: Float64Array.of(5, 1) }, 'time', 'nondecreasing', 'time[1] = 1 < time[0] = 5'],
    [vpinKernel, { ...vp, buckets: 0 }, 'buckets', 'a positive integer', 'got 0'],
    [vpinKernel, { ...vp, sigma: -1 }, 'sigma', 'a finite number > 0', 'got -1'],
    [vpinIncrementalKernel, { ...vp, state: new Float64Array(3) }, 'state', 'createVpinState(buckets = 2)', 'length 3'],
  ];
  it.each(cases.map((c) => [c[0].name, c[2], c]))('%s: %s', async (_name, _arg, [kernel, input, argument, ...parts]) => {
    await expectArgumentError(kernel, input, argument, ...parts);
  });
  it('vpin.incremental: the state keeps its first call\'s parameters and times', async () => {
    const state = createVpinState(2);
    await runKernel(vpinIncrementalKernel, { ...vp, state });
    await expectArgumentError(vpinIncrementalKernel, { ...vp, bucketVolume: 5, state }, 'bucketVolume', '4, as in the first call', 'got 5');
    await expectArgumentError(vpinIncrementalKernel, { ...vp, sigma: 1, state }, 'sigma', 'absent, as in the first call', 'got 1');
    await expectArgumentError(vpinIncrementalKernel, { ...vp, state }, 'time', 'nondecreasing across calls (>= 1', 'time[0] = 0');
  });
});

describe('the built-in list', () => {
  it('holds every kernel once; js and native are one function (vpin: js only), so are webgpu and mlx where the device runs a core the kernel uses; sample(size) is valid and about that size', async () => {
    expect(BUILTIN_KERNELS.map((k) => k.name)).toEqual(['matmul', 'mlp', 'var.historical', 'var.parametric', 'var.montecarlo', 'factors', 'vpin', 'vpin.incremental', 'model.onnx']);
    const on = (backend: 'webgpu' | 'mlx') => BUILTIN_KERNELS.filter((k) => k[backend] !== undefined).map((k) => k.name);
    expect(on('webgpu')).toEqual(['matmul', 'mlp', 'var.historical', 'var.parametric', 'var.montecarlo', 'factors']);
    expect(on('mlx')).toEqual(['matmul', 'mlp', 'var.historical', 'var.parametric', 'var.montecarlo', 'factors']);
    expect(BUILTIN_KERNELS.filter((k) => k.onnx !== undefined).map((k) => k.name)).toEqual(['mlp', 'model.onnx']);
    for (const kernel of BUILTIN_KERNELS) {
      if (kernel.name === 'model.onnx') continue; // runs a model file on onnx only
      expect(kernel.native).toBe(kernel.name.startsWith('vpin') ? undefined : kernel.js);
      const input = kernel.sample!(20_000);
      await runKernel(kernel, input);
      const size = kernel.size!(input);
      expect(size, kernel.name).toBeGreaterThan(20_000 / 4);
      expect(size, kernel.name).toBeLessThan(20_000 * 4);
    }
  });
});
