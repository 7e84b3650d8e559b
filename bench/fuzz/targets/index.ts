import type { FuzzTarget } from '../target.js';
import { busFrameTarget } from './bus-frame.js';
import { lz4Target } from './lz4.js';
import { msgpackTarget } from './msgpack.js';
import { recordsTarget } from './records.js';
import { ringFrameTarget } from './ring-frame.js';

/** The decoders under fuzz, by name. */
export const TARGETS: Readonly<Record<string, FuzzTarget>> = {
  [ringFrameTarget.name]: ringFrameTarget,
  [busFrameTarget.name]: busFrameTarget,
  [recordsTarget.name]: recordsTarget,
  [lz4Target.name]: lz4Target,
  [msgpackTarget.name]: msgpackTarget,
};
