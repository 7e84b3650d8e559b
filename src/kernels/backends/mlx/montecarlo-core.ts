import type { NumericCores } from '../../cores.js';
import { reducedPortfolio } from '../../counter-rng.js';
import { timed, type CallProfiler } from './call-profile.js';
import { BOX_MULLER_CONSTANTS } from './box-muller-graph.js';
import type { Mlx, MxArray } from './mlx-types.js';
import { scenarioPnlGraph } from './scenario-pnl-graph.js';
import { threefryStartWords } from './threefry-graph.js';
import { download, upload } from './transfer.js';
import { uint32Words } from './uint32.js';

/**
 * Threefry words per block of paths (paths x ceil(n / 2)): 2^20 keeps each uint32 or float32
 * intermediate of the compiled graph at 4 MiB, and a block's run (~65 ms on one CPU core) long
 * against its fixed cost (its small uploads, the trace lookup, one tolist). Measured on 100k paths
 * x 50 assets: 2^18, 2^20 and 2^22 words a block all take ~190 ms.
 */
const WORDS_PER_BLOCK = 2 ** 20;

type ScenarioPnl = (start: MxArray, pathOffsets: MxArray, pairOffsets: MxArray, vEven: MxArray, vOdd: MxArray, constants: MxArray) => MxArray;

/**
 * montecarloPnl on MLX: the scenarios drawn on the device (Threefry, Box-Muller, v . z in one
 * compiled graph per block of paths), base and v = L'w worked out on the CPU in f64 as every
 * backend does (n^2 / 2 multiply-adds against paths x n), base added in f64 on the way down.
 *
 * The graph is compiled (core.compile): eager, each of its ~150 ops leaves a JS-wrapped array that
 * holds its block-sized buffer until V8 collects the wrapper, which nothing prompts (the binding
 * does not report its memory to V8): measured +560 MB per 2^20-word block, unbounded over a call,
 * and 0.3 s to 1.5 s a block. Compiled, the intermediates live inside MLX and go at the end of each
 * eval, and MLX's CPU JIT fuses the elementwise ops: ~65 ms a block, RSS flat.
 */
export class MonteCarloCore {
  private scenarioPnl: ScenarioPnl | undefined;
  private readonly constants: MxArray;

  constructor(
    private readonly mx: Mlx,
    private readonly cpu: NumericCores,
    private readonly profiler: CallProfiler,
  ) {
    this.constants = mx.array([...BOX_MULLER_CONSTANTS], mx.float32);
    this.scenarioPnl = mx.compile((start: MxArray, pathOffsets: MxArray, pairOffsets: MxArray, vEven: MxArray, vOdd: MxArray, constants: MxArray) =>
      scenarioPnlGraph(mx, start, pathOffsets, pairOffsets, vEven, vOdd, constants),
    );
  }

  montecarloPnl(chol: Float64Array, mean: Float64Array, weights: Float64Array, n: number, paths: number, seed: number, out: Float64Array): void {
    const scenarioPnl = this.scenarioPnl;
    if (scenarioPnl === undefined) throw new Error('the mlx backend is closed');
    // No assets or no paths: nothing to draw (the CPU core writes the base, or nothing).
    if (n * paths === 0) return this.cpu.montecarloPnl(chol, mean, weights, n, paths, seed, out);
    const { mx } = this;
    const profile = this.profiler.begin('montecarloPnl');
    const { base, v } = reducedPortfolio(chol, mean, weights, n);
    const pairs = Math.ceil(n / 2);
    const blockPaths = Math.max(1, Math.floor(WORDS_PER_BLOCK / pairs));
    const [vEven, vOdd, pairOffsets] = timed(profile, 'uploadMs', () => {
      const even = new Float64Array(pairs);
      const odd = new Float64Array(pairs);
      for (let j = 0; j < n; j++) (j % 2 === 0 ? even : odd)[j >> 1] = v[j]!;
      return [upload(mx, even, 0, [pairs]), upload(mx, odd, 0, [pairs]), mx.arange(0, pairs, 1, mx.uint32).reshape([1, pairs])];
    });
    let pathOffsets: MxArray | undefined;
    for (let first = 0; first < paths; first += blockPaths) {
      const count = Math.min(blockPaths, paths - first);
      const start = timed(profile, 'uploadMs', () => {
        if (pathOffsets === undefined || pathOffsets.shape[0] !== count) pathOffsets = mx.arange(0, count, 1, mx.uint32).reshape([count, 1]);
        return uint32Words(mx, threefryStartWords(seed, first));
      });
      const pnl = timed(profile, 'computeMs', () => {
        const result = scenarioPnl(start, pathOffsets!, pairOffsets, vEven, vOdd, this.constants);
        mx.eval(result);
        return result;
      });
      timed(profile, 'downloadMs', () => {
        const values = download(pnl);
        for (let i = 0; i < count; i++) out[first + i] = base + values[i]!;
      });
    }
  }

  /** Drops the compiled graph (its traces and constants go with it when V8 collects it). */
  close(): void {
    this.scenarioPnl = undefined;
  }
}
