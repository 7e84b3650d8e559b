import type { BackoffOptions } from './spec.js';

/**
 * The delay before restart number `attempt` (1 for the first restart after a stable run):
 * exponential from minMs, capped at maxMs, with the top `jitter` share drawn at random so that
 * siblings failing together do not restart in lock step. Always within [minMs, maxMs].
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number): number {
  const exponential = options.minMs * 2 ** Math.max(0, attempt - 1);
  const capped = Math.min(options.maxMs, Math.max(options.minMs, exponential));
  const jittered = capped * (1 - options.jitter * random());
  return Math.min(options.maxMs, Math.max(options.minMs, jittered));
}
