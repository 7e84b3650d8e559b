// transport/ imports the runtime (forbidden) and the package root (forbidden).
import { hostThing } from '../runtime/host.js';
import { policy } from '../index.js';
export const bytes = hostThing + policy;
