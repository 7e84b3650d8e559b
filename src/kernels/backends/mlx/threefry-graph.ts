import { PARITY, ROTATIONS } from '../../counter-rng.js';
import type { Mlx, MxArray } from './mlx-types.js';

// Threefry-2x32-20 as in counter-rng.ts, whose constants it shares. The test checks the words MLX
// computes against counter-rng.ts's threefry2x32, bit for bit.

/**
 * The words a block of Monte Carlo scenarios starts from, as plain numbers (uint32 values): the
 * key enters only through constants, so they are worked out here once per block and the graph
 * adds them. [0] is x0's start less its path offset (first path + k0, mod 2^32), [1] x1's start
 * less its pair (k1), then for each of the 5 key injections the words added to x0 and to x1.
 * Key (seed, 0), counter (path, pair), as counter-rng.ts.
 */
export function threefryStartWords(seed: number, firstPath: number): number[] {
  const k0 = seed >>> 0;
  const k1 = 0;
  const ks = [k0, k1, (PARITY ^ k0 ^ k1) >>> 0];
  const words = [(firstPath + k0) >>> 0, k1];
  for (let s = 1; s <= 5; s++) words.push(ks[s % 3]!, (ks[(s + 1) % 3]! + s) >>> 0);
  return words;
}

/** The number of words threefryStartWords gives. */
export const THREEFRY_START_WORDS = 12;

/**
 * Threefry-2x32-20 of the counters (first path + i, j) for i in pathOffsets ([paths, 1]) and j in
 * pairOffsets ([1, pairs]): two uint32 [paths, pairs] blocks of words. `start` is
 * threefryStartWords's uint32 vector (built exactly with uint32Words).
 *
 * Every bitwise op takes x0, which is [paths, pairs] from the first round on, as its first operand
 * (uint32.ts tells why); rotations of x1 in round 0 run on its [1, pairs] row alone.
 */
export function threefry2x32Graph(mx: Mlx, start: MxArray, pathOffsets: MxArray, pairOffsets: MxArray): [MxArray, MxArray] {
  const u32 = (value: number): MxArray => mx.array(value, mx.uint32);
  const word = (i: number): MxArray => start.index(i);
  let x0 = mx.add(pathOffsets, word(0));
  let x1 = mx.add(pairOffsets, word(1));
  for (let round = 0; round < 20; round++) {
    x0 = mx.add(x0, x1);
    const r = ROTATIONS[round % 8]!;
    x1 = mx.bitwiseOr(mx.leftShift(x1, u32(r)), mx.rightShift(x1, u32(32 - r)));
    x1 = mx.bitwiseXor(x0, x1);
    if (round % 4 === 3) {
      const s = (round + 1) / 4;
      x0 = mx.add(x0, word(2 * s));
      x1 = mx.add(x1, word(2 * s + 1));
    }
  }
  return [x0, x1];
}
