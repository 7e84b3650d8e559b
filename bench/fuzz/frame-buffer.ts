import { FRAME_HEADER_BYTES } from '../../src/transport/codec/frame.js';
import { MAX_INPUT_BYTES } from './mutate.js';

/**
 * The shared buffer a fuzz input is decoded from, as a frame in a mailbox ring lies in one: at an
 * 8-aligned offset of a SharedArrayBuffer, followed by zeroes up to the next multiple of 8 (the
 * ring pads each record so). Reused from input to input, as a ring's space is.
 */
export class FrameBuffer {
  readonly buffer = new SharedArrayBuffer(FRAME_HEADER_BYTES + MAX_INPUT_BYTES + 64);
  readonly u8 = new Uint8Array(this.buffer);
  readonly dv = new DataView(this.buffer);
  private used = 0;

  /** Places `bytes` at `at` (8-aligned), clearing what the previous input left after them. */
  place(bytes: Uint8Array, at = 0): void {
    const end = at + bytes.length;
    this.u8.set(bytes, at);
    if (this.used > end) this.u8.fill(0, end, this.used);
    this.used = (end + 7) & ~7;
    this.u8.fill(0, end, this.used);
  }
}
