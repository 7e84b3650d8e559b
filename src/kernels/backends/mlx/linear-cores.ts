import type { NumericCores } from '../../cores.js';
import { timed, type CallProfiler } from './call-profile.js';
import type { Mlx, MxArray } from './mlx-types.js';
import { download, upload } from './transfer.js';

export type LinearCores = Pick<NumericCores, 'matmul' | 'dense' | 'portfolioPnl' | 'covariance'>;

/**
 * The matrix-product cores on MLX, in float32, one eager graph each: a product (BLAS sgemm) and
 * a few elementwise ops around it. core.compile gains nothing here (measured: dense 1024x256x256
 * 34.3 ms eager, 34.7 compiled; covariance of 2000 x 200, 27.4 and 26.7), since the product is
 * the work, and it would add a trace per shape. A size of 0 leaves nothing to compute: those calls
 * go to the CPU cores, which write the zeros (or nothing) that the reference writes.
 */
export function linearCores(mx: Mlx, cpu: NumericCores, profiler: CallProfiler): LinearCores {
  const zero = mx.array(0, mx.float32);

  return {
    matmul(a, b, m, k, n, out) {
      if (m * k * n === 0) return cpu.matmul(a, b, m, k, n, out);
      const profile = profiler.begin('matmul');
      const [ma, mb] = timed(profile, 'uploadMs', () => [upload(mx, a, 0, [m, k]), upload(mx, b, 0, [k, n])]);
      const product = timed(profile, 'computeMs', () => evaluated(mx, mx.matmul(ma, mb)));
      timed(profile, 'downloadMs', () => out.set(download(product)));
    },

    dense(x, w, bias, rows, inputs, outputs, activation, out) {
      if (rows * inputs * outputs === 0) return cpu.dense(x, w, bias, rows, inputs, outputs, activation, out);
      const profile = profiler.begin('dense');
      const [input, mw, mb] = timed(profile, 'uploadMs', () => [upload(mx, x, 0, [rows, inputs]), upload(mx, w, 0, [inputs, outputs]), upload(mx, bias, 0, [outputs])]);
      const result = timed(profile, 'computeMs', () => {
        const linear = mx.add(mx.matmul(input, mw), mb);
        // ReLU as "v < 0 ? 0 : v", as the reference: maximum(v, 0) would not keep a NaN.
        const activated = activation === 1 ? mx.where(mx.less(linear, zero), zero, linear) : activation === 2 ? mx.sigmoid(linear) : linear;
        return evaluated(mx, activated);
      });
      timed(profile, 'downloadMs', () => out.set(download(result)));
    },

    portfolioPnl(returns, weights, t, n, out) {
      if (t * n === 0) return cpu.portfolioPnl(returns, weights, t, n, out);
      const profile = profiler.begin('portfolioPnl');
      const [mr, mw] = timed(profile, 'uploadMs', () => [upload(mx, returns, 0, [t, n]), upload(mx, weights, 0, [n, 1])]);
      const pnl = timed(profile, 'computeMs', () => evaluated(mx, mx.matmul(mr, mw)));
      timed(profile, 'downloadMs', () => out.set(download(pnl)));
    },

    covariance(x, t, n, start, rows, out) {
      if (n * rows === 0) return cpu.covariance(x, t, n, start, rows, out);
      const profile = profiler.begin('covariance');
      // Only the rows asked for go up.
      const block = timed(profile, 'uploadMs', () => upload(mx, x, start * n, [rows, n]));
      const cov = timed(profile, 'computeMs', () => {
        // Two passes, as the reference: the means first, then the products of the centred rows.
        const centred = mx.subtract(block, mx.mean(block, 0, true));
        return evaluated(mx, mx.divide(mx.matmul(centred.T, centred), mx.array(rows - 1, mx.float32)));
      });
      timed(profile, 'downloadMs', () => {
        const values = download(cov);
        // The upper triangle mirrored, as the reference: exactly symmetric whatever order sgemm summed in.
        for (let i = 0; i < n; i++) {
          for (let j = i; j < n; j++) {
            const v = values[i * n + j]!;
            out[i * n + j] = v;
            out[j * n + i] = v;
          }
        }
      });
    },
  };
}

function evaluated(mx: Mlx, result: MxArray): MxArray {
  mx.eval(result);
  return result;
}
