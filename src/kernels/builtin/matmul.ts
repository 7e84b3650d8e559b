import type { KernelContext } from '../define.js';
import { defineCoreKernel } from './core-kernel.js';
import { float64Array, positiveInteger, requireObject } from './checks.js';
import { atLeast, randomNormals } from './samples.js';

/** out (m x n) = a (m x k) * b (k x n), all row-major. */
export interface MatmulInput {
  a: Float64Array;
  b: Float64Array;
  m: number;
  k: number;
  n: number;
}

export interface MatmulOutput {
  out: Float64Array;
}

function validateMatmul(input: unknown, ctx: KernelContext): asserts input is MatmulInput {
  const o = requireObject(ctx, input, '{ a, b, m, k, n }');
  const m = positiveInteger(ctx, 'm', o.m);
  const k = positiveInteger(ctx, 'k', o.k);
  const n = positiveInteger(ctx, 'n', o.n);
  float64Array(ctx, 'a', o.a, m * k, `m x k = ${m} x ${k}`);
  float64Array(ctx, 'b', o.b, k * n, `k x n = ${k} x ${n}`);
}

async function matmul({ a, b, m, k, n }: MatmulInput, ctx: KernelContext): Promise<MatmulOutput> {
  const out = ctx.output('out', Float64Array, m * n);
  await ctx.cores.matmul(a, b, m, k, n, out);
  return { out };
}

export const matmulKernel = defineCoreKernel<MatmulInput, MatmulOutput>({
  name: 'matmul',
  description: 'Dense matrix product out (m x n) = a (m x k) * b (k x n), row-major Float64Arrays',
  validate: validateMatmul,
  run: matmul,
  uses: ['matmul'],
  size: ({ m, k, n }) => m * k * n,
  sample(size) {
    const side = atLeast(1, Math.cbrt(size));
    return { a: randomNormals(side * side, 1), b: randomNormals(side * side, 2), m: side, k: side, n: side };
  },
});
