import type { KernelContext } from '../define.js';

/**
 * The argument checks the built-in kernels' `validate` functions share. Each returns the checked
 * value typed, or throws through `ctx.reject(argument, expected, given)`, so that a wrong call is
 * answered by one KernelArgumentError naming the argument, what was expected and what was given.
 */

/** The input itself must be a plain object; `shape` says which fields it takes. */
export function requireObject(ctx: KernelContext, input: unknown, shape: string): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input) || ArrayBuffer.isView(input)) ctx.reject('input', `an object ${shape}`, input);
  return input as Record<string, unknown>;
}

export function positiveInteger(ctx: KernelContext, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) ctx.reject(name, 'a positive integer', v);
  return v;
}

/** A Float64Array, of exactly `length` elements when given (`shape` explains the length, e.g. 'm x k = 2 x 3'). */
export function float64Array(ctx: KernelContext, name: string, v: unknown, length?: number, shape?: string): Float64Array {
  if (!(v instanceof Float64Array)) ctx.reject(name, length === undefined ? 'a Float64Array' : `a Float64Array of length ${length}${shape ? ` (${shape})` : ''}`, v);
  if (length !== undefined && v.length !== length) ctx.reject(name, `a Float64Array of length ${length}${shape ? ` (${shape})` : ''}`, v);
  return v;
}

/** Every element finite: weights and prices with a NaN or an infinity would poison every result. */
export function allFinite(ctx: KernelContext, name: string, v: Float64Array): void {
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) ctx.reject(name, 'finite numbers', `${v[i]} at index ${i}`);
  }
}

/** A number strictly between 0 and 1 (confidence levels, decay factors). */
export function openUnitInterval(ctx: KernelContext, name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v > 0 && v < 1)) ctx.reject(name, 'a number in (0, 1)', v);
  return v;
}

export function positiveNumber(ctx: KernelContext, name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v > 0) || v === Infinity) ctx.reject(name, 'a finite number > 0', v);
  return v;
}

export function oneOf<T extends string>(ctx: KernelContext, name: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) ctx.reject(name, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, v);
  return v as T;
}

/** A non-empty array (or typed array) of numbers, each checked by `each` under the name `name[i]`. */
export function numberList(ctx: KernelContext, name: string, v: unknown, each: (name: string, x: unknown) => unknown): readonly number[] {
  if (!(Array.isArray(v) || v instanceof Float64Array) || v.length === 0) ctx.reject(name, 'a non-empty array of numbers', v);
  const list = Array.from(v as ArrayLike<unknown>);
  list.forEach((x, i) => each(`${name}[${i}]`, x));
  return list as number[];
}
