import type { Mlx, MxArray } from './mlx-types.js';

/*
 * Two traps of uint32 in @frost-beta/mlx 0.0.7, measured here:
 *
 * - core.array converts every JS number through float32 on its way in: core.array([4294967295],
 *   uint32) gives 0 and [16777217] gives 16777216. A word above 2^24 is sent as its 16-bit halves.
 * - The bitwise ops and shifts give their result the shape of their FIRST operand, broadcasting
 *   the second into it (MLX's bitwise_impl of that release): and(a [1, n], b [m, n]) has shape
 *   [1, n] and writes m x n elements into it (heap corruption, then an abort). Call them with the
 *   full-shape operand first, or with operands of one shape. (JS numbers as operands are no way
 *   out: they come in as float32, which the bitwise ops reject.) Arithmetic ops broadcast properly.
 */

/** A uint32 MLX vector holding `words` exactly (each sent as two 16-bit halves, see above). */
export function uint32Words(mx: Mlx, words: readonly number[]): MxArray {
  const high = mx.array(words.map((w) => w >>> 16), mx.uint32);
  const low = mx.array(words.map((w) => w & 0xffff), mx.uint32);
  return mx.bitwiseOr(mx.leftShift(high, mx.array(16, mx.uint32)), low);
}
