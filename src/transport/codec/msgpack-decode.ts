import { Unpackr } from 'msgpackr';
import { FrameError } from '../errors.js';
import { screenMsgpack } from './msgpack-screen.js';

// One for the thread: msgpackr keeps its decoding state in module variables anyway.
// structuredClone: false refuses references even if the screen let one by; copyBuffers: a `bin`
// value is a copy, not a view of the ring, whose space is zeroed and reused once the handler returns.
const unpackr = new Unpackr({ useRecords: false, moreTypes: false, structuredClone: false, copyBuffers: true });

/**
 * The value a msgpack payload carries: data only (see msgpack-screen.ts for what is refused and
 * why). Every fault is a FrameError naming it.
 */
export function decodeMsgpack(bytes: Uint8Array): unknown {
  screenMsgpack(bytes);
  try {
    return unpackr.unpack(bytes);
  } catch (err) {
    // What the screen cannot see: a map key that is an array or a map, a failing extension handler of the user's.
    throw new FrameError(`msgpack payload does not decode: ${(err as Error).message}`);
  }
}
