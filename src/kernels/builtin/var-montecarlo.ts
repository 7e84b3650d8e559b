import type { KernelContext } from '../define.js';
import { defineCoreKernel } from './core-kernel.js';
import { positiveInteger } from './checks.js';
import { atLeast, randomNormals } from './samples.js';
import { portfolioMoments } from './var-parametric.js';
import { VAR_SHAPE, checkVarInput, confidenceLevels, tailRisk, type VarInput, type VarOutput } from './var-input.js';

export interface VarMonteCarloInput extends VarInput {
  /** Simulated scenarios; default 10000. */
  paths?: number;
  /** Seed of the normal generator (rng.ts), an integer in [0, 2^32); default 1. Same seed, same answer. */
  seed?: number;
}

export const DEFAULT_PATHS = 10_000;
export const DEFAULT_SEED = 1;

function validateMonteCarlo(input: unknown, ctx: KernelContext): asserts input is VarMonteCarloInput {
  const o = checkVarInput(ctx, input, 2, VAR_SHAPE.replace(' }', ', paths?, seed? }'));
  if (o.paths !== undefined) positiveInteger(ctx, 'paths', o.paths);
  if (o.seed !== undefined && !(Number.isSafeInteger(o.seed) && (o.seed as number) >= 0 && (o.seed as number) < 2 ** 32)) ctx.reject('seed', 'an integer in [0, 2^32)', o.seed);
}

/** Monte Carlo VaR: returns ~ N(mean, S) simulated through L = cholesky(S), the historical tail rule on the simulated P&L. */
async function monteCarloVar(input: VarMonteCarloInput, ctx: KernelContext): Promise<VarOutput> {
  const { n, weights } = input;
  const paths = input.paths ?? DEFAULT_PATHS;
  const { mean, cov, rows } = await portfolioMoments(input, ctx);
  const chol = new Float64Array(n * n);
  if (!(await ctx.cores.cholesky(cov, n, chol))) {
    ctx.reject(
      'returns',
      'returns whose sample covariance is positive definite (more usable rows than instruments, no constant or collinear columns)',
      `${rows} usable rows of ${n} instruments whose covariance is not positive definite`,
    );
  }
  const pnl = new Float64Array(paths);
  await ctx.cores.montecarloPnl(chol, mean, weights, n, paths, input.seed ?? DEFAULT_SEED, pnl);
  return { ...(await tailRisk(pnl, confidenceLevels(input), ctx)), rows };
}

export const varMonteCarloKernel = defineCoreKernel<VarMonteCarloInput, VarOutput>({
  name: 'var.montecarlo',
  description: 'Monte Carlo VaR and expected shortfall: normal scenarios with the sample mean and covariance of returns, seeded',
  validate: validateMonteCarlo,
  run: monteCarloVar,
  uses: ['covariance', 'cholesky', 'montecarloPnl', 'lowestFirst'],
  size: ({ t, n, paths }) => t * n * n + (paths ?? DEFAULT_PATHS) * n * (n + 1),
  sample(size) {
    const n = 10;
    const t = 60;
    const paths = atLeast(100, (size - t * n * n) / (n * (n + 1)));
    return { returns: randomNormals(t * n, 1, 0.01), t, n, weights: randomNormals(n, 2), paths };
  },
});
