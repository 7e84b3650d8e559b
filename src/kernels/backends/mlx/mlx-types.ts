/*
 * The part of @frost-beta/mlx's `core` this backend uses, typed here rather than imported: the
 * package's index.d.ts re-exports its nn/ and optimizers/ modules from their .ts sources, which
 * tsc would then compile under this project's settings (and fail on). Signatures as in
 * node_modules/@frost-beta/mlx/lib/index.d.ts (0.0.7).
 */

/** An MLX data type (core.float32, core.uint32). */
export interface Dtype {
  readonly size: number;
}

export interface Device {
  readonly type: number;
}

/** A lazy MLX array: ops build a graph, eval or tolist computes it. */
export interface MxArray {
  readonly shape: number[];
  readonly ndim: number;
  readonly dtype: Dtype;
  readonly T: MxArray;
  astype(dtype: Dtype): MxArray;
  reshape(...shape: (number | number[])[]): MxArray;
  flatten(): MxArray;
  index(...index: (number | null | MxArray)[]): MxArray;
  tolist(): unknown;
}

type Operand = MxArray | number;

export interface Mlx {
  readonly float32: Dtype;
  readonly uint32: Dtype;
  readonly cpu: number;
  readonly gpu: number;
  defaultDevice(): Device;

  array(value: number | number[] | number[][], dtype?: Dtype): MxArray;
  arange(start: number, stop: number, step: number, dtype: Dtype): MxArray;

  add(a: Operand, b: Operand): MxArray;
  subtract(a: Operand, b: Operand): MxArray;
  multiply(a: Operand, b: Operand): MxArray;
  divide(a: Operand, b: Operand): MxArray;
  matmul(a: MxArray, b: MxArray): MxArray;
  less(a: Operand, b: Operand): MxArray;
  greaterEqual(a: Operand, b: Operand): MxArray;
  where(condition: MxArray, x: Operand, y: Operand): MxArray;
  sum(array: MxArray, axis: number, keepdims?: boolean): MxArray;
  mean(array: MxArray, axis: number, keepdims?: boolean): MxArray;
  log(array: MxArray): MxArray;
  log1p(array: MxArray): MxArray;
  sqrt(array: MxArray): MxArray;
  cos(array: MxArray): MxArray;
  sin(array: MxArray): MxArray;
  sigmoid(array: MxArray): MxArray;
  leftShift(a: MxArray, b: MxArray): MxArray;
  rightShift(a: MxArray, b: MxArray): MxArray;
  bitwiseOr(a: MxArray, b: MxArray): MxArray;
  bitwiseXor(a: MxArray, b: MxArray): MxArray;

  eval(...arrays: MxArray[]): void;
  compile<A extends MxArray[], R extends MxArray | MxArray[]>(fn: (...args: A) => R, shapeless?: boolean): (...args: A) => R;
}
