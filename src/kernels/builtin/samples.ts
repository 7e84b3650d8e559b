import { NormalGenerator } from '../rng.js';

/**
 * Random inputs for the calibration of `backend: 'auto'` (the kernels' `sample(size)`): seeded,
 * so that the same size always times the same input.
 */
export function randomNormals(length: number, seed = 7, scale = 1): Float64Array {
  const gen = new NormalGenerator(seed);
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = scale * gen.nextNormal();
  return out;
}

/** A whole number >= `min` near `x` (sizes derived from a work amount). */
export function atLeast(min: number, x: number): number {
  return Math.max(min, Math.round(Number.isFinite(x) ? x : min));
}
