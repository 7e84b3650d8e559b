import type { NumericCores } from './cores.js';
import { ScenarioNormals, reducedPortfolio } from './counter-rng.js';

/**
 * The reference cores: plain typed-array loops, no allocation of results (callers pass `out`).
 * Every other backend is checked against these, so they favour clarity and a documented order of
 * summation over speed; only the matrix products use the i-k-j order, whose inner loop runs along
 * contiguous rows of `b` and `out` (the order that also vectorises in the native addon).
 */
export const jsCores: NumericCores = {
  matmul(a, b, m, k, n, out) {
    out.fill(0, 0, m * n);
    for (let i = 0; i < m; i++) {
      const outRow = i * n;
      for (let p = 0; p < k; p++) {
        const aip = a[i * k + p];
        const bRow = p * n;
        for (let j = 0; j < n; j++) out[outRow + j] += aip * b[bRow + j];
      }
    }
  },

  dense(x, w, bias, rows, inputs, outputs, activation, out) {
    for (let r = 0; r < rows; r++) {
      const outRow = r * outputs;
      for (let j = 0; j < outputs; j++) out[outRow + j] = bias[j];
      for (let p = 0; p < inputs; p++) {
        const xrp = x[r * inputs + p];
        const wRow = p * outputs;
        for (let j = 0; j < outputs; j++) out[outRow + j] += xrp * w[wRow + j];
      }
      if (activation === 1) {
        for (let j = outRow; j < outRow + outputs; j++) if (out[j] < 0) out[j] = 0; // NaN stays NaN
      } else if (activation === 2) {
        // 1 / (1 + e^-v): e^-v overflows to Infinity for v < -709, which gives the right limit 0.
        for (let j = outRow; j < outRow + outputs; j++) out[j] = 1 / (1 + Math.exp(-out[j]));
      }
    }
  },

  lowestFirst(values, k) {
    if (k > values.length) throw new RangeError(`values has length ${values.length}; needs at least k = ${k}`);
    values.sort(); // the reference: all of it in order (the native core orders only the k)
  },

  portfolioPnl(returns, weights, t, n, out) {
    for (let r = 0; r < t; r++) {
      let sum = 0;
      const row = r * n;
      for (let c = 0; c < n; c++) sum += returns[row + c] * weights[c];
      out[r] = sum;
    }
  },

  covariance(x, t, n, start, rows, out) {
    // Two passes (means first, then centred products): the one-pass sum-of-squares formula loses
    // every digit when returns are small against their mean.
    void t;
    const end = start + rows;
    const mean = new Float64Array(n);
    for (let r = start; r < end; r++) for (let c = 0; c < n; c++) mean[c] += x[r * n + c];
    for (let c = 0; c < n; c++) mean[c] /= rows;
    out.fill(0, 0, n * n);
    for (let r = start; r < end; r++) {
      const row = r * n;
      for (let i = 0; i < n; i++) {
        const di = x[row + i] - mean[i];
        for (let j = i; j < n; j++) out[i * n + j] += di * (x[row + j] - mean[j]);
      }
    }
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        const v = out[i * n + j] / (rows - 1);
        out[i * n + j] = v;
        out[j * n + i] = v;
      }
    }
  },

  cholesky(a, n, out) {
    // Cholesky-Banachiewicz, row by row. A pivot must keep more than 1e-12 of its diagonal entry:
    // exactly collinear columns (a singular matrix) leave a rounding residue of either sign rather
    // than 0, which a bare `> 0` test would take for positive definite. `!(s > ...)` also catches NaN.
    out.fill(0, 0, n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let s = a[i * n + j];
        for (let p = 0; p < j; p++) s -= out[i * n + p] * out[j * n + p];
        if (i === j) {
          if (!(s > 1e-12 * a[i * n + i])) return false;
          out[i * n + i] = Math.sqrt(s);
        } else {
          out[i * n + j] = s / out[j * n + j];
        }
      }
    }
    return true;
  },

  montecarloPnl(chol, mean, weights, n, paths, seed, out) {
    // The order of the sums is part of the contract (every backend draws the same scenarios, and
    // the f64 ones should agree to the last bits): v = L' w over i ascending, then per path
    // base + sum_j v_j z_j over j ascending.
    const { base, v } = reducedPortfolio(chol, mean, weights, n);
    const normals = new ScenarioNormals(seed);
    const z = new Float64Array(n);
    for (let path = 0; path < paths; path++) {
      normals.fill(path, z, n);
      let pnl = base;
      for (let j = 0; j < n; j++) pnl += v[j] * z[j];
      out[path] = pnl;
    }
  },

  rollingMoments(x, t, n, window, outMean, outStd) {
    // Each window is summed afresh (two passes) rather than updated by adding and removing a row:
    // no drift over long series, and a NaN spoils only the windows that contain it. The sums are
    // accumulated in the output rows themselves, so nothing is allocated.
    const first = Math.min(window - 1, t);
    outMean.fill(NaN, 0, first * n);
    outStd.fill(NaN, 0, first * n);
    for (let end = window - 1; end < t; end++) {
      const at = end * n;
      for (let c = 0; c < n; c++) {
        outMean[at + c] = 0;
        outStd[at + c] = 0;
      }
      for (let r = end - window + 1; r <= end; r++) for (let c = 0; c < n; c++) outMean[at + c] += x[r * n + c];
      for (let c = 0; c < n; c++) outMean[at + c] /= window;
      for (let r = end - window + 1; r <= end; r++) {
        for (let c = 0; c < n; c++) {
          const d = x[r * n + c] - outMean[at + c];
          outStd[at + c] += d * d;
        }
      }
      for (let c = 0; c < n; c++) outStd[at + c] = Math.sqrt(outStd[at + c] / (window - 1));
    }
  },

  ewmaVolatility(x, t, n, lambda, out) {
    // The variances are carried in `out` and rooted at the end: carrying the roots would square
    // them back at every step and lose the last bits.
    for (let c = 0; c < n && t > 0; c++) out[c] = x[c] * x[c];
    for (let r = 1; r < t; r++) {
      const row = r * n;
      for (let c = 0; c < n; c++) {
        const v = x[row + c];
        out[row + c] = lambda * out[row - n + c] + (1 - lambda) * v * v;
      }
    }
    for (let i = 0; i < t * n; i++) out[i] = Math.sqrt(out[i]);
  },
};
