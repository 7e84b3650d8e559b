import type { CoreName } from '../cores.js';

/**
 * The cores each accelerator runs on its device (the others it takes from the CPU: the native
 * addon's where it loaded, else js's). A built-in kernel is offered on an accelerator when it uses
 * at least one of them. Kept apart from the backends themselves so that listing what a kernel can
 * run on never loads a GPU library.
 */
export const ACCELERATED_CORES = {
  webgpu: ['matmul', 'dense', 'portfolioPnl', 'montecarloPnl', 'covariance', 'rollingMoments'],
  mlx: ['matmul', 'dense', 'portfolioPnl', 'montecarloPnl', 'covariance'],
} as const satisfies Record<'webgpu' | 'mlx', readonly CoreName[]>;
