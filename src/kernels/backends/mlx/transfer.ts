import type { Mlx, MxArray } from './mlx-types.js';

/*
 * The binding takes only plain JS (nested) lists of numbers, not typed arrays, and gives results
 * back only as lists (tolist), so every transfer is a copy through a JS list: f64 -> list ->
 * float32 on the way up, float32 -> list -> f64 on the way down. Measured on 2^18 elements: filling
 * a preallocated list 2 ms (Array.from 9 ms), core.array from it ~37 ms, tolist ~30 ms.
 */

/** values[offset, offset + size) as a float32 MLX array of `shape` (size = the product of shape). */
export function upload(mx: Mlx, values: Float64Array, offset: number, shape: readonly number[]): MxArray {
  const size = shape.reduce((a, b) => a * b, 1);
  const list = new Array<number>(size);
  for (let i = 0; i < size; i++) list[i] = values[offset + i]!;
  return mx.array(list, mx.float32).reshape([...shape]);
}

/** The elements of `result` in row-major order (evaluating it if it is not yet). */
export function download(result: MxArray): number[] {
  return (result.ndim === 1 ? result : result.flatten()).tolist() as number[];
}
