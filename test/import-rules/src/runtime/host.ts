// Host side: imports a worker-side type (forbidden, type-only imports included).
import type { WorkerThing } from '../actors/types.js';
export const hostThing: WorkerThing = 1;
