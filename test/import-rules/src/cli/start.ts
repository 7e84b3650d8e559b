// Imports a worker entry instead of starting it by URL (forbidden).
import { entry } from '../actors/worker-main.js';
export const started = entry;
