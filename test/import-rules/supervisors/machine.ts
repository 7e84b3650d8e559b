// Policy imports mechanism (forbidden), and a file that does not exist (unresolvable).
import { bytes } from '../src/transport/bytes.js';
import { gone } from './missing.js';
export const machine = bytes + gone;
