import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { loadNativeCores, NATIVE_ADDON_ENV } from '../src/kernels/backends/native.js';
import { CORE_NAMES, type NumericCores } from '../src/kernels/cores.js';
import { jsCores } from '../src/kernels/cores-js.js';
import { sharedArray } from '../src/kernels/shared-arrays.js';

// The native cores (native/, built by `npm install`) against the JS reference cores.
//
// Agreement: every core keeps the JS order of operations for every element, so the results are the
// same to the bit (Object.is, NaN and -0 included), except where a libm function enters: dense's
// sigmoid (exp) and montecarloPnl's normals (log, sin, cos) come from the C library rather than V8's
// fdlibm port and may differ in the last bit. Those are checked within |native - js| <= 1e-9 * max(1, |js|)
// (the differences seen are ~1e-16 relative); a wrong generator would be off by O(1).
const TOLERANCE = 1e-9;
const HERE = dirname(fileURLToPath(import.meta.url));

function native(): NumericCores {
  const loaded = loadNativeCores();
  if (!loaded.ok) throw new Error(`the native addon did not load: ${loaded.reason}`);
  return loaded.cores;
}

/** Data independent of the kernels' own generator: uniforms in [-scale, scale) from an LCG, some specials. */
function data(length: number, seed: number, specials = false, scale = 1): Float64Array {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1e300, -1e-300, 5e-324];
  return Float64Array.from({ length }, () => (specials && next() < 0.05 ? SPECIAL[Math.floor(next() * SPECIAL.length)]! : (next() * 2 - 1) * scale));
}

function expectAgree(actual: Float64Array, expected: Float64Array, exact: boolean, what: string): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Object.is(a, e)) continue;
    if (!exact && Number.isFinite(e) && Math.abs(a - e) <= TOLERANCE * Math.max(1, Math.abs(e))) continue;
    throw new Error(`${what}: element ${i} is ${a} natively, ${e} in JS (${exact ? 'expected the same bits' : `tolerance ${TOLERANCE}`})`);
  }
}

/** A symmetric positive definite n x n matrix: B B' + n I. */
function spd(n: number, seed: number): Float64Array {
  const b = data(n * n, seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < n; p++) s += b[i * n + p]! * b[j * n + p]!;
      a[i * n + j] = s + (i === j ? n : 0);
    }
  }
  return a;
}

const seed = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const RUNS = { numRuns: 60 };

describe('native cores: the addon', () => {
  it('builds and loads, exporting every core', () => {
    const loaded = loadNativeCores();
    expect(loaded.ok ? 'loaded' : loaded.reason).toBe('loaded');
    if (!loaded.ok) return;
    expect(loaded.path).toMatch(/dualbus_native\.node$/);
    for (const name of CORE_NAMES) expect(typeof loaded.cores[name]).toBe('function');
    expect(loadNativeCores()).toBe(loaded); // cached
  });

  describe('DUALBUS_NATIVE_ADDON', () => {
    const saved = process.env[NATIVE_ADDON_ENV];
    afterEach(() => {
      if (saved === undefined) delete process.env[NATIVE_ADDON_ENV];
      else process.env[NATIVE_ADDON_ENV] = saved;
    });

    it('pointing at a missing file (a removed build) gives ok: false with a reason naming the path', () => {
      const missing = join(HERE, 'no-such-dir', 'dualbus_native.node');
      process.env[NATIVE_ADDON_ENV] = missing;
      const loaded = loadNativeCores();
      expect(loaded.ok).toBe(false);
      if (loaded.ok) return;
      expect(loaded.reason).toContain(missing);
      expect(loaded.reason).toMatch(/build failed or it was removed/);
      delete process.env[NATIVE_ADDON_ENV];
      expect(loadNativeCores().ok).toBe(true); // the real one is still there
    });

    it('pointing at a file that is not an addon gives ok: false with the load error', () => {
      process.env[NATIVE_ADDON_ENV] = join(HERE, 'kernels-native.test.ts');
      const loaded = loadNativeCores();
      expect(loaded.ok).toBe(false);
      if (!loaded.ok) expect(loaded.reason).toMatch(/kernels-native\.test\.ts does not load: /);
    });
  });

  it('loads in several worker threads at once (context-aware)', async () => {
    const loaded = loadNativeCores();
    if (!loaded.ok) throw new Error(loaded.reason);
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const addon = require(workerData.path);
      const a = new Float64Array([1, 2, 3, 4]), b = new Float64Array([5, 6, 7, 8]), out = new Float64Array(4);
      addon.matmul(a, b, 2, 2, 2, out);
      parentPort.postMessage(Array.from(out));`;
    const run = (): Promise<number[]> =>
      new Promise((resolve, reject) => {
        const worker = new Worker(code, { eval: true, workerData: { path: loaded.path } });
        worker.once('message', (m: number[]) => {
          resolve(m);
          void worker.terminate();
        });
        worker.once('error', reject);
      });
    const results = await Promise.all([run(), run(), run()]);
    for (const r of results) expect(r).toEqual([19, 22, 43, 50]);
  });

  it('reads and writes SharedArrayBuffer-backed arrays and offset views in place', () => {
    const cores = native();
    const a = sharedArray(Float64Array, 8);
    a.set([9, 9, 1, 2, 3, 4, 9, 9]);
    const b = new Float64Array([5, 6, 7, 8]);
    const out = sharedArray(Float64Array, 6);
    out.fill(-1);
    cores.matmul(a.subarray(2), b, 2, 2, 2, out.subarray(1, 5));
    expect(Array.from(out)).toEqual([-1, 19, 22, 43, 50, -1]);
  });
});

describe('native cores agree with the JS cores', () => {
  it('matmul (same bits), random sizes and data with NaN/Infinity/-0', () => {
    const cores = native();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 30 }), seed, fc.boolean(), (m, k, n, s, specials) => {
        const a = data(m * k, s, specials), b = data(k * n, s + 1, specials);
        const want = new Float64Array(m * n).fill(7), got = new Float64Array(m * n).fill(7);
        jsCores.matmul(a, b, m, k, n, want);
        native().matmul(a, b, m, k, n, got);
        expectAgree(got, want, true, `matmul ${m}x${k}x${n}`);
      }),
      RUNS,
    );
    // Across the cache blocks (256 rows of b, 512 columns) and register tiles (4 x 8), with ragged edges.
    const [m, k, n] = [19, 300, 530];
    const a = data(m * k, 1), b = data(k * n, 2);
    const want = new Float64Array(m * n), got = new Float64Array(m * n);
    jsCores.matmul(a, b, m, k, n, want);
    cores.matmul(a, b, m, k, n, got);
    expectAgree(got, want, true, 'matmul 19x300x530');
  });

  it('dense: linear and ReLU the same bits, sigmoid within tolerance', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 12 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 2 }),
        seed,
        fc.boolean(),
        (rows, inputs, outputs, activation, s, specials) => {
          const x = data(rows * inputs, s, specials, 4), w = data(inputs * outputs, s + 1, specials), bias = data(outputs, s + 2, specials);
          const want = new Float64Array(rows * outputs), got = new Float64Array(rows * outputs);
          jsCores.dense(x, w, bias, rows, inputs, outputs, activation, want);
          native().dense(x, w, bias, rows, inputs, outputs, activation, got);
          expectAgree(got, want, activation !== 2, `dense ${rows}x${inputs}x${outputs} activation ${activation}`);
        },
      ),
      RUNS,
    );
  });

  it('portfolioPnl (same bits)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 70 }), fc.integer({ min: 0, max: 40 }), seed, fc.boolean(), (t, n, s, specials) => {
        const returns = data(t * n, s, specials), weights = data(n, s + 1, specials);
        const want = new Float64Array(t), got = new Float64Array(t);
        jsCores.portfolioPnl(returns, weights, t, n, want);
        native().portfolioPnl(returns, weights, t, n, got);
        expectAgree(got, want, true, `portfolioPnl ${t}x${n}`);
      }),
      RUNS,
    );
  });

  it('lowestFirst: the k smallest, ascending, first (same bits as a full sort), and nothing lost', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.double({ min: 0, max: 1, noNaN: true }), seed, (length, share, s) => {
        const k = Math.floor(share * length);
        const values = data(length, s, false);
        const want = values.slice(), got = values.slice();
        jsCores.lowestFirst(want, k);
        native().lowestFirst(got, k);
        expectAgree(got.subarray(0, k), want.subarray(0, k), true, `lowestFirst ${k} of ${length}`);
        expect(Array.from(got).sort((a, b) => a - b)).toEqual(Array.from(want).sort((a, b) => a - b));
      }),
      RUNS,
    );
  });

  it('covariance (same bits), windows anywhere in x, across the 256-row chunks', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 14 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        seed,
        fc.boolean(),
        (t, n, f1, f2, s, specials) => {
          const start = Math.floor(f1 * t);
          const rows = Math.floor(f2 * (t - start));
          const x = data(t * n, s, specials, 0.02).map((v, i) => v + (i % 3)); // means large against the spread
          const want = new Float64Array(n * n), got = new Float64Array(n * n);
          jsCores.covariance(x, t, n, start, rows, want);
          native().covariance(x, t, n, start, rows, got);
          expectAgree(got, want, true, `covariance t ${t} n ${n} start ${start} rows ${rows}`);
        },
      ),
      RUNS,
    );
  });

  it('cholesky (same bits) of positive definite matrices; false for the same matrices as JS', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), seed, fc.constantFrom('spd', 'random', 'special'), (n, s, kind) => {
        let a: Float64Array;
        if (kind === 'spd') a = spd(n, s);
        else {
          a = data(n * n, s, kind === 'special');
          for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[j * n + i] = a[i * n + j]!; // symmetric
          for (let i = 0; i < n; i++) a[i * n + i] = Math.abs(a[i * n + i]!) + (s % 4); // often not PD all the same
        }
        const want = new Float64Array(n * n), got = new Float64Array(n * n);
        const okJs = jsCores.cholesky(a, n, want);
        const okNative = native().cholesky(a, n, got);
        expect(okNative).toBe(okJs);
        if (kind === 'spd') expect(okJs).toBe(true);
        if (okJs) expectAgree(got, want, true, `cholesky ${kind} n ${n}`);
      }),
      RUNS,
    );
    // Past the 16-row blocks, with a ragged last block.
    const n = 70;
    const a = spd(n, 3);
    const want = new Float64Array(n * n), got = new Float64Array(n * n);
    expect(jsCores.cholesky(a, n, want)).toBe(true);
    expect(native().cholesky(a, n, got)).toBe(true);
    expectAgree(got, want, true, 'cholesky n 70');
  });

  it('montecarloPnl: the same seed draws the same scenarios (within tolerance: libm log/sin/cos)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 120 }),
        fc.oneof(seed, fc.integer({ min: -(2 ** 31), max: -1 }), fc.double()),
        fc.boolean(),
        (n, paths, genSeed, lower) => {
          const s = Math.abs(Math.floor(Number.isFinite(genSeed) ? genSeed : 1)) % 2 ** 32;
          const chol = new Float64Array(n * n);
          if (lower && n > 0) jsCores.cholesky(spd(n, s), n, chol);
          else chol.set(data(n * n, s)); // the upper triangle is ignored by both
          const mean = data(n, s + 1, false, 0.01), weights = data(n, s + 2);
          const want = new Float64Array(paths), got = new Float64Array(paths);
          jsCores.montecarloPnl(chol, mean, weights, n, paths, genSeed, want);
          native().montecarloPnl(chol, mean, weights, n, paths, genSeed, got);
          expectAgree(got, want, false, `montecarloPnl n ${n} paths ${paths} seed ${genSeed}`);
        },
      ),
      RUNS,
    );
    // A different seed draws different scenarios.
    const n = 3;
    const chol = new Float64Array([1, 0, 0, 0.5, 1, 0, 0.2, 0.3, 1]);
    const mean = new Float64Array(3), weights = new Float64Array([1, 1, 1]);
    const one = new Float64Array(4), other = new Float64Array(4);
    native().montecarloPnl(chol, mean, weights, n, 4, 1, one);
    native().montecarloPnl(chol, mean, weights, n, 4, 2, other);
    expect(Array.from(one)).not.toEqual(Array.from(other));
  });

  it('rollingMoments (same bits), windows longer than the series included', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 70 }), seed, fc.boolean(), (t, n, window, s, specials) => {
        const x = data(t * n, s, specials);
        const wantMean = new Float64Array(t * n).fill(3), wantStd = new Float64Array(t * n).fill(3);
        const gotMean = new Float64Array(t * n).fill(3), gotStd = new Float64Array(t * n).fill(3);
        jsCores.rollingMoments(x, t, n, window, wantMean, wantStd);
        native().rollingMoments(x, t, n, window, gotMean, gotStd);
        expectAgree(gotMean, wantMean, true, `rollingMoments mean t ${t} n ${n} window ${window}`);
        expectAgree(gotStd, wantStd, true, `rollingMoments std t ${t} n ${n} window ${window}`);
      }),
      RUNS,
    );
  });

  it('ewmaVolatility (same bits)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 9 }), fc.double({ min: 0, max: 1, noNaN: true }), seed, fc.boolean(), (t, n, lambda, s, specials) => {
        const x = data(t * n, s, specials);
        const want = new Float64Array(t * n), got = new Float64Array(t * n);
        jsCores.ewmaVolatility(x, t, n, lambda, want);
        native().ewmaVolatility(x, t, n, lambda, got);
        expectAgree(got, want, true, `ewmaVolatility t ${t} n ${n} lambda ${lambda}`);
      }),
      RUNS,
    );
  });
});

describe('native cores reject wrong arguments, naming them, before touching any array', () => {
  // Valid calls of every core on small sizes: [arguments, the names of the arguments].
  type Call = { args: unknown[]; names: string[] };
  const f = (length: number): Float64Array => new Float64Array(length).fill(0.5);
  const CALLS: Record<string, () => Call> = {
    matmul: () => ({ args: [f(6), f(12), 2, 3, 4, f(8)], names: ['a', 'b', 'm', 'k', 'n', 'out'] }),
    dense: () => ({ args: [f(6), f(12), f(4), 2, 3, 4, 1, f(8)], names: ['x', 'w', 'bias', 'rows', 'inputs', 'outputs', 'activation', 'out'] }),
    portfolioPnl: () => ({ args: [f(12), f(4), 3, 4, f(3)], names: ['returns', 'weights', 't', 'n', 'out'] }),
    lowestFirst: () => ({ args: [f(3), 3], names: ['values', 'k'] }),
    covariance: () => ({ args: [f(12), 4, 3, 1, 3, f(9)], names: ['x', 't', 'n', 'start', 'rows', 'out'] }),
    cholesky: () => ({ args: [new Float64Array([4, 2, 2, 3]), 2, f(4)], names: ['a', 'n', 'out'] }),
    montecarloPnl: () => ({ args: [f(4), f(2), f(2), 2, 5, 42, f(5)], names: ['chol', 'mean', 'weights', 'n', 'paths', 'seed', 'out'] }),
    rollingMoments: () => ({ args: [f(12), 4, 3, 2, f(12), f(12)], names: ['x', 't', 'n', 'window', 'outMean', 'outStd'] }),
    ewmaVolatility: () => ({ args: [f(12), 4, 3, 0.94, f(12)], names: ['x', 't', 'n', 'lambda', 'out'] }),
  };

  function call(name: string, args: unknown[]): unknown {
    return (native() as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!(...args);
  }

  function expectThrow(name: string, args: unknown[], type: typeof TypeError | typeof RangeError, message: RegExp): void {
    const arrays = args.filter((a): a is Float64Array => a instanceof Float64Array && a.buffer.byteLength > 0);
    const before = arrays.map((a) => Array.from(a));
    let caught: unknown;
    try {
      call(name, args);
    } catch (err) {
      caught = err;
    }
    expect(caught, `${name} should throw ${message}`).toBeInstanceOf(type);
    expect((caught as Error).message).toMatch(message);
    expect(arrays.map((a) => Array.from(a))).toEqual(before); // nothing written
  }

  it('the valid calls run', () => {
    for (const name of CORE_NAMES) expect(() => call(name, CALLS[name]!().args)).not.toThrow();
  });

  it('an argument of the wrong type: TypeError naming it', () => {
    for (const name of CORE_NAMES) {
      const { args, names } = CALLS[name]!();
      args.forEach((arg, i) => {
        const wrong = [...args];
        wrong[i] = arg instanceof Float64Array ? new Float32Array(arg.length) : String(arg);
        expectThrow(name, wrong, TypeError, new RegExp(`^${name}: ${names[i]} must be a`));
        expectThrow(name, args.slice(0, i), TypeError, new RegExp(`^${name}: ${names[i]} must be a .*; got undefined`));
      });
    }
  });

  it('an array too short for the sizes: RangeError naming it', () => {
    for (const name of CORE_NAMES) {
      const { args, names } = CALLS[name]!();
      args.forEach((arg, i) => {
        if (!(arg instanceof Float64Array)) return;
        const wrong = [...args];
        wrong[i] = arg.subarray(1);
        expectThrow(name, wrong, RangeError, new RegExp(`^${name}: ${names[i]} has length ${arg.length - 1}; needs at least .* = ${arg.length}`));
      });
    }
    // A detached buffer reads as length 0.
    const out = new Float64Array(8);
    structuredClone(out.buffer, { transfer: [out.buffer] });
    expectThrow('matmul', [f(6), f(12), 2, 3, 4, out], RangeError, /^matmul: out has length 0/);
  });

  it('sizes that are not non-negative integers, or out of range: RangeError naming them', () => {
    for (const name of CORE_NAMES) {
      const { args, names } = CALLS[name]!();
      args.forEach((arg, i) => {
        if (typeof arg !== 'number' || ['lambda', 'seed'].includes(names[i]!)) return;
        for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 60]) {
          const wrong = [...args];
          wrong[i] = bad;
          expectThrow(name, wrong, RangeError, new RegExp(`^${name}: ${names[i]} must be`));
        }
      });
    }
    expectThrow('matmul', [f(6), f(12), 2 ** 40, 2 ** 20, 4, f(8)], RangeError, /^matmul: m \* k is too large/);
    expectThrow('dense', [f(6), f(12), f(4), 2, 3, 4, 3, f(8)], RangeError, /^dense: activation must be 0 \(linear\), 1 \(ReLU\) or 2 \(sigmoid\)/);
    expectThrow('covariance', [f(12), 4, 3, 2, 3, f(9)], RangeError, /^covariance: start \+ rows must be at most t/);
    expectThrow('rollingMoments', [f(12), 4, 3, 0, f(12), f(12)], RangeError, /^rollingMoments: window must be at least 1/);
  });

  it('an output sharing memory with an input: RangeError naming both', () => {
    const buf = new Float64Array(20);
    expectThrow('matmul', [buf.subarray(0, 6), f(12), 2, 3, 4, buf.subarray(4, 12)], RangeError, /^matmul: out must not share memory with a/);
    const x = f(12);
    expectThrow('ewmaVolatility', [x, 4, 3, 0.94, x], RangeError, /^ewmaVolatility: out must not share memory with x/);
    expectThrow('rollingMoments', [f(12), 4, 3, 2, buf.subarray(0, 12), buf.subarray(8, 20)], RangeError, /^rollingMoments: outStd must not share memory with outMean/);
  });
});
