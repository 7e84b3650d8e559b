import type { KernelContext } from '../define.js';
import { defineCoreKernel } from './core-kernel.js';
import { normalPdf, normalQuantile } from './normal.js';
import { atLeast, randomNormals } from './samples.js';
import { checkVarInput, columnMeans, confidenceLevels, usableReturns, type VarInput, type VarOutput } from './var-input.js';

function validateParametric(input: unknown, ctx: KernelContext): asserts input is VarInput {
  checkVarInput(ctx, input, 2);
}

/** The portfolio's mean and standard deviation of P&L: w . mean and sqrt(w' S w), S the sample covariance. */
export async function portfolioMoments(input: VarInput, ctx: KernelContext): Promise<{ mean: Float64Array; cov: Float64Array; mu: number; sigma: number; rows: number }> {
  const { n, weights } = input;
  const { returns, rows } = usableReturns(input, ctx, 2);
  const mean = columnMeans(returns, rows, n);
  const cov = new Float64Array(n * n);
  await ctx.cores.covariance(returns, rows, n, 0, rows, cov);
  let mu = 0;
  let variance = 0;
  for (let i = 0; i < n; i++) {
    mu += weights[i] * mean[i];
    for (let j = 0; j < n; j++) variance += weights[i] * cov[i * n + j] * weights[j];
  }
  // Rounding can leave a tiny negative variance for a (nearly) riskless portfolio.
  return { mean, cov, mu, sigma: Math.sqrt(Math.max(0, variance)), rows };
}

/** Delta-normal VaR: P&L ~ N(mu, sigma^2), so VaR = z sigma - mu and ES = sigma phi(z) / (1 - c) - mu, z = Phi^-1(c). */
async function parametricVar(input: VarInput, ctx: KernelContext): Promise<VarOutput> {
  const { mu, sigma, rows } = await portfolioMoments(input, ctx);
  const levels = confidenceLevels(input);
  const varOut = ctx.output('var', Float64Array, levels.length);
  const esOut = ctx.output('es', Float64Array, levels.length);
  levels.forEach((c, i) => {
    const z = normalQuantile(c);
    varOut[i] = z * sigma - mu;
    esOut[i] = (sigma * normalPdf(z)) / (1 - c) - mu;
  });
  return { var: varOut, es: esOut, rows };
}

export const varParametricKernel = defineCoreKernel<VarInput, VarOutput>({
  name: 'var.parametric',
  description: 'Delta-normal (variance-covariance) VaR and expected shortfall from the sample mean and covariance of returns',
  validate: validateParametric,
  run: parametricVar,
  uses: ['covariance'],
  size: ({ t, n }) => t * n * n,
  sample(size) {
    const n = 10;
    const t = atLeast(n + 1, size / (n * n));
    return { returns: randomNormals(t * n, 1, 0.01), t, n, weights: randomNormals(n, 2) };
  },
});
