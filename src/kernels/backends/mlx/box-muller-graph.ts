import type { Mlx, MxArray } from './mlx-types.js';

const TWO_POW_23 = 2 ** 23;
const TWO_POW_24 = 2 ** 24;

/**
 * The float32 constants of boxMullerGraph, in the order it reads them. They reach the graph as an
 * input vector, not as constants captured in it: MLX's CPU JIT (0.0.7) writes captured scalar
 * constants into its C++ with 7 significant digits, so 2^24 becomes 16777220 (t = 1 - u below is
 * then off by up to 4 / 2^24) and 2^-24 and 2 pi / 2^24 lose ~1e-7 relative, which measured up to
 * 1e-5 on a path's P&L. Inputs are read from memory, exact.
 */
export const BOX_MULLER_CONSTANTS: readonly number[] = [0.5, TWO_POW_23, TWO_POW_24, 1 / TWO_POW_24, -1 / TWO_POW_24, -2, (2 * Math.PI) / TWO_POW_24];

/**
 * Box-Muller on two blocks of Threefry words, in float32: the normals (r cos theta, r sin theta)
 * of counter-rng.ts, with u = ((w >>> 8) + 1/2) / 2^24 for each word. `constants` is
 * BOX_MULLER_CONSTANTS as a float32 vector.
 *
 * Written so that float32 holds every uniform exactly, as f64 does: u itself is not always
 * representable (u >= 1/2 needs 25 significant bits), but m + 1/2 is for m = w >>> 8 < 2^23, and
 * so is t = 1 - u = (2^24 - m - 1/2) / 2^24 for m >= 2^23. Hence ln u = log(u) below 1/2 and
 * log1p(-t) above, and theta = 2 pi u is taken as 2 pi (u - 1) above 1/2 (same cos and sin).
 * Rounding u itself would put up to 2^-25 on ln u near u = 1, where r = sqrt(-2 ln u) ~ 2^-12.
 * What is left is the rounding of log, sqrt, cos, sin and of 2 pi / 2^24: a few float32 ulps.
 */
export function boxMullerGraph(mx: Mlx, words0: MxArray, words1: MxArray, constants: MxArray): [MxArray, MxArray] {
  const [half, twoPow23, twoPow24, twoPowMinus24, minusTwoPowMinus24, minusTwo, radiansPerStep] = BOX_MULLER_CONSTANTS.map((_, i) => constants.index(i));
  const eight = mx.array(8, mx.uint32);
  const upper = (m: MxArray): MxArray => mx.greaterEqual(m, twoPow23!);

  const m0 = mx.rightShift(words0, eight).astype(mx.float32);
  const lnLow = mx.log(mx.multiply(mx.add(m0, half!), twoPowMinus24!));
  const lnHigh = mx.log1p(mx.multiply(mx.subtract(mx.subtract(twoPow24!, m0), half!), minusTwoPowMinus24!));
  const radius = mx.sqrt(mx.multiply(mx.where(upper(m0), lnHigh, lnLow), minusTwo!));

  const m1 = mx.rightShift(words1, eight).astype(mx.float32);
  const turns = mx.where(upper(m1), mx.add(mx.subtract(m1, twoPow24!), half!), mx.add(m1, half!));
  const theta = mx.multiply(turns, radiansPerStep!);

  return [mx.multiply(radius, mx.cos(theta)), mx.multiply(radius, mx.sin(theta))];
}
