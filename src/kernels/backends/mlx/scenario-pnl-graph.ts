import { boxMullerGraph } from './box-muller-graph.js';
import type { Mlx, MxArray } from './mlx-types.js';
import { threefry2x32Graph } from './threefry-graph.js';

/**
 * The P&L less its base of a block of paths: v . z for each path, z its n normals. Pair k of a
 * path gives normals 2k (cos) and 2k + 1 (sin), so v is taken apart into its even and odd entries
 * (vOdd padded with a 0 when n is odd: the last pair's sine is drawn, then weighs nothing).
 *
 * start: threefryStartWords as uint32 [12]; pathOffsets uint32 [paths, 1]; pairOffsets uint32
 * [1, pairs]; vEven and vOdd float32 [pairs]; constants: BOX_MULLER_CONSTANTS as float32. Every shape the graph depends on comes in as an
 * input's shape, so that core.compile, which keys its traces by the inputs' shapes, never reuses
 * a trace made for another size. Result: float32 [paths].
 */
export function scenarioPnlGraph(mx: Mlx, start: MxArray, pathOffsets: MxArray, pairOffsets: MxArray, vEven: MxArray, vOdd: MxArray, constants: MxArray): MxArray {
  const [words0, words1] = threefry2x32Graph(mx, start, pathOffsets, pairOffsets);
  const [zCos, zSin] = boxMullerGraph(mx, words0, words1, constants);
  return mx.sum(mx.add(mx.multiply(zCos, vEven), mx.multiply(zSin, vOdd)), 1);
}
