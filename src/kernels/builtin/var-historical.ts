import { defineKernel, type KernelContext } from '../define.js';
import { atLeast, randomNormals } from './samples.js';
import { checkVarInput, confidenceLevels, tailRisk, usableReturns, type VarInput, type VarOutput } from './var-input.js';

function validateHistorical(input: unknown, ctx: KernelContext): asserts input is VarInput {
  checkVarInput(ctx, input, 1);
}

/** Historical simulation: the portfolio's P&L in each past scenario, its lower tail read off directly. */
function historicalVar(input: VarInput, ctx: KernelContext): VarOutput {
  const { returns, rows } = usableReturns(input, ctx, 1);
  const pnl = new Float64Array(rows);
  ctx.cores.portfolioPnl(returns, input.weights, rows, input.n, pnl);
  return { ...tailRisk(pnl, confidenceLevels(input), ctx), rows };
}

export const varHistoricalKernel = defineKernel<VarInput, VarOutput>({
  name: 'var.historical',
  description: 'Historical VaR and expected shortfall of a portfolio over t scenarios of n instrument returns',
  validate: validateHistorical,
  js: historicalVar,
  native: historicalVar, // the same code: the native backend hands it the addon's cores
  size: ({ t, n }) => t * n,
  sample(size) {
    const n = 10;
    const t = atLeast(2, size / n);
    return { returns: randomNormals(t * n, 1, 0.01), t, n, weights: randomNormals(n, 2) };
  },
});
