import { copyBytes } from './copy-bytes.js';
import type { PayloadEncoder } from './payload.js';

/** Encoded payloads by index, for writing as one run of frames: a stage of values, or the messages of a bus frame. */
export interface PayloadSource {
  payloadBytes(i: number): number;
  /** Copies payload `i` to `dst` at `at`. */
  copyPayload(i: number, dst: Uint8Array, at: number): void;
  encoding(i: number): number;
  flags(i: number): number;
}

/**
 * The encoded payloads of a batch of values, copied one after the other into one buffer (the
 * encoder reuses its own), so that the whole batch can be written into a ring with one claim.
 */
export class PayloadStage implements PayloadSource {
  private buffer = new Uint8Array(1 << 14);
  private used = 0;
  count = 0;
  private readonly starts: number[] = [];
  private readonly lengths: number[] = [];
  private readonly encodings: number[] = [];
  private readonly flagsOf: number[] = [];

  reset(): void {
    this.used = 0;
    this.count = 0;
  }

  /** Keeps a copy of what `encoder` just encoded. */
  add(encoder: PayloadEncoder): void {
    const bytes = encoder.bytes;
    if (this.used + bytes.length > this.buffer.length) {
      const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.used + bytes.length));
      grown.set(this.buffer.subarray(0, this.used));
      this.buffer = grown;
    }
    this.buffer.set(bytes, this.used);
    const i = this.count++;
    this.starts[i] = this.used;
    this.lengths[i] = bytes.length;
    this.encodings[i] = encoder.encoding;
    this.flagsOf[i] = encoder.flags;
    this.used += bytes.length;
  }

  copyPayload(i: number, dst: Uint8Array, at: number): void {
    copyBytes(this.buffer, this.starts[i]!, dst, at, this.lengths[i]!);
  }

  payloadBytes(i: number): number {
    return this.lengths[i]!;
  }

  encoding(i: number): number {
    return this.encodings[i]!;
  }

  flags(i: number): number {
    return this.flagsOf[i]!;
  }
}
