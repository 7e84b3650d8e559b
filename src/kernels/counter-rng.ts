/**
 * The Monte Carlo kernels' scenarios: a counter-based generator, so that path p's normals depend
 * on (seed, p) alone and any device can draw any path in any order, in parallel. Written the same
 * way in every backend (native/src/counter_rng.h, the WGSL of backends/webgpu, the MLX graph):
 *
 * - Threefry-2x32 with 20 rounds (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
 *   SC 2011; the generator of JAX and MLX), key (seed, 0), counter (path, pair): only 32-bit adds,
 *   rotations and xors, which every device has.
 * - Each 32-bit word gives a uniform ((w >>> 8) + 0.5) / 2^24 in (0, 1) from its top 24 bits: exact
 *   in f64, and in f32 below 1/2 (above, the half needs a 25th bit: f32 devices round it, or take
 *   log u as log1p(-(1 - u)), 1 - u being exact), so f32 devices draw the reference's uniforms to
 *   within one rounding.
 * - Box-Muller: pair k of a path gives its normals 2k (r cos) and 2k + 1 (r sin).
 */
/** Threefry-2x32's rotation per round (mod 8) and the key schedule's parity constant (Random123). */
export const ROTATIONS: readonly number[] = [13, 15, 26, 6, 17, 29, 16, 24];
export const PARITY = 0x1bd11bda;

/** Threefry-2x32-20 of counter (c0, c1) under key (k0, k1), into out[0], out[1]. */
export function threefry2x32(k0: number, k1: number, c0: number, c1: number, out: Uint32Array): void {
  const k2 = (PARITY ^ k0 ^ k1) >>> 0;
  const ks = [k0 >>> 0, k1 >>> 0, k2];
  let x0 = (c0 + k0) >>> 0;
  let x1 = (c1 + k1) >>> 0;
  for (let round = 0; round < 20; round++) {
    x0 = (x0 + x1) >>> 0;
    const r = ROTATIONS[round % 8]!;
    x1 = ((x1 << r) | (x1 >>> (32 - r))) >>> 0;
    x1 = (x1 ^ x0) >>> 0;
    if (round % 4 === 3) {
      const s = (round + 1) / 4;
      x0 = (x0 + ks[s % 3]!) >>> 0;
      x1 = (x1 + ks[(s + 1) % 3]! + s) >>> 0;
    }
  }
  out[0] = x0;
  out[1] = x1;
}

/** The uniform in (0, 1) a 32-bit word gives: its top 24 bits, centred in their interval. */
export function uniform24(word: number): number {
  return ((word >>> 8) + 0.5) / 16777216;
}

/** Fills normals[0, n) with path `path`'s n standard normals (n rounded up to a pair internally). */
export class ScenarioNormals {
  private readonly words = new Uint32Array(2);
  private readonly seed: number;

  /** The seed as the key's first word: ToUint32, as the native addon reads it. */
  constructor(seed: number) {
    this.seed = seed >>> 0;
  }

  fill(path: number, normals: Float64Array, n: number): void {
    for (let pair = 0; 2 * pair < n; pair++) {
      threefry2x32(this.seed, 0, path, pair, this.words);
      const r = Math.sqrt(-2 * Math.log(uniform24(this.words[0]!)));
      const theta = 2 * Math.PI * uniform24(this.words[1]!);
      normals[2 * pair] = r * Math.cos(theta);
      if (2 * pair + 1 < n) normals[2 * pair + 1] = r * Math.sin(theta);
    }
  }
}

/**
 * What the Monte Carlo P&L of a linear portfolio reduces to: pnl(z) = w . (mean + L z) =
 * w . mean + v . z with v = L' w, so each path costs n multiply-adds instead of n^2 / 2.
 */
export function reducedPortfolio(chol: Float64Array, mean: Float64Array, weights: Float64Array, n: number): { base: number; v: Float64Array } {
  let base = 0;
  for (let i = 0; i < n; i++) base += weights[i]! * mean[i]!;
  const v = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = j; i < n; i++) s += weights[i]! * chol[i * n + j]!;
    v[j] = s;
  }
  return { base, v };
}
