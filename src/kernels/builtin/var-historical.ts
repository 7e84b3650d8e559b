import type { KernelContext } from '../define.js';
import { defineCoreKernel } from './core-kernel.js';
import { atLeast, randomNormals } from './samples.js';
import { checkVarInput, confidenceLevels, rejectFirstNaN, tailRisk, usableReturns, type VarInput, type VarOutput } from './var-input.js';

function validateHistorical(input: unknown, ctx: KernelContext): asserts input is VarInput {
  checkVarInput(ctx, input, 1, undefined, false); // NaNs are found in the P&L (see historicalVar)
}

/**
 * Historical simulation: the portfolio's P&L in each past scenario, its lower tail read off directly.
 * A NaN in a row makes that row's P&L NaN (the weights are finite), so the P&L says whether the NaN
 * policy has anything to do: the returns are read once, not scanned first (the scan cost as much
 * as the product, and kept the native backend at the speed of JS).
 */
async function historicalVar(input: VarInput, ctx: KernelContext): Promise<VarOutput> {
  let rows = input.t;
  let pnl = new Float64Array(rows);
  await ctx.cores.portfolioPnl(input.returns, input.weights, rows, input.n, pnl);
  const firstBad = pnl.findIndex(Number.isNaN);
  if (firstBad >= 0) {
    if ((input.nan ?? 'reject') === 'reject') rejectFirstNaN(ctx, input.returns, input.n, firstBad);
    const usable = usableReturns(input, ctx, 1);
    rows = usable.rows;
    pnl = new Float64Array(rows);
    await ctx.cores.portfolioPnl(usable.returns, input.weights, rows, input.n, pnl);
  }
  return { ...(await tailRisk(pnl, confidenceLevels(input), ctx)), rows };
}

export const varHistoricalKernel = defineCoreKernel<VarInput, VarOutput>({
  name: 'var.historical',
  description: 'Historical VaR and expected shortfall of a portfolio over t scenarios of n instrument returns',
  validate: validateHistorical,
  run: historicalVar,
  uses: ['portfolioPnl', 'lowestFirst'],
  size: ({ t, n }) => t * n,
  sample(size) {
    const n = 10;
    const t = atLeast(2, size / n);
    return { returns: randomNormals(t * n, 1, 0.01), t, n, weights: randomNormals(n, 2) };
  },
});
