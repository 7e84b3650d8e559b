// Worker side: imports the host side (forbidden).
import { hostThing } from '../runtime/host.js';
export const loop = hostThing;
