import {
  RECORD_HEADER_BYTES,
  RING_ENQUEUED,
  RING_HEAD,
  RING_OVERFLOWS,
  RING_SPACE_WAITERS,
  RING_TAKEN,
  RING_TAIL,
  maxPayloadBytes,
  recordBytes,
  ringDataByte,
  ringWord,
} from './layout.js';

/** Called once per published record, with the byte offset of its payload in the buffer. */
export type RecordVisitor = (payloadByte: number, payloadBytes: number) => void;

/**
 * A many-producer, single-consumer ring of variable-length records in shared memory (see
 * layout.ts for the bytes and the publish rule). Producers claim space with a compare-exchange
 * loop on the tail, write their payload, then publish the length word last. The consumer reads
 * records in place, a batch at a time, zeroes what it consumed and then advances the head.
 */
export class Ring {
  readonly i32: Int32Array;
  readonly u8: Uint8Array;
  readonly capacity: number;
  readonly maxPayload: number;
  private readonly mask: number;
  private readonly w: number; // Int32 index of the ring header
  private readonly dataByte: number;
  private readonly dataWord: number;

  constructor(
    readonly buffer: SharedArrayBuffer,
    ringByte: number,
    capacity: number,
  ) {
    this.i32 = new Int32Array(buffer);
    this.u8 = new Uint8Array(buffer);
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.maxPayload = maxPayloadBytes(capacity);
    this.w = ringWord(ringByte);
    this.dataByte = ringDataByte(ringByte);
    this.dataWord = this.dataByte >> 2;
  }

  // ---------------------------------------------------------------- producer side

  /**
   * Claims room for a payload of `payloadBytes` and returns the byte offset where the payload goes,
   * or -1 when the ring is full. The caller writes the payload, then calls `publish`.
   * The caller has checked `1 <= payloadBytes <= maxPayload` (a length of 0 means "unpublished").
   */
  claim(payloadBytes: number): number {
    const i32 = this.i32;
    const size = recordBytes(payloadBytes);
    const tailIdx = this.w + RING_TAIL;
    for (;;) {
      const tail = Atomics.load(i32, tailIdx);
      const head = Atomics.load(i32, this.w + RING_HEAD);
      const offset = tail & this.mask;
      const toEnd = this.capacity - offset;
      const padding = size > toEnd ? toEnd : 0;
      if (((tail - head) | 0) + padding + size > this.capacity) return -1;
      if (Atomics.compareExchange(i32, tailIdx, tail, (tail + padding + size) | 0) !== tail) continue;
      Atomics.add(i32, this.w + RING_ENQUEUED, 1);
      if (padding === 0) return this.dataByte + offset + RECORD_HEADER_BYTES;
      // The record does not fit before the end: publish a padding record there, start at 0.
      Atomics.store(i32, this.dataWord + (offset >> 2), -padding);
      return this.dataByte + RECORD_HEADER_BYTES;
    }
  }

  /** Makes a claimed record visible to the consumer: the length word is stored last. */
  publish(payloadByte: number, payloadBytes: number): void {
    Atomics.store(this.i32, (payloadByte - RECORD_HEADER_BYTES) >> 2, payloadBytes);
  }

  /** Counts a refused write (the mailbox was full). */
  countOverflow(): void {
    Atomics.add(this.i32, this.w + RING_OVERFLOWS, 1);
  }

  /** Resolves when the consumer frees space (head moves), or after `timeoutMs`. */
  async waitForSpace(timeoutMs: number): Promise<void> {
    const i32 = this.i32;
    const headIdx = this.w + RING_HEAD;
    const head = Atomics.load(i32, headIdx);
    Atomics.add(i32, this.w + RING_SPACE_WAITERS, 1);
    try {
      const r = Atomics.waitAsync(i32, headIdx, head, timeoutMs);
      if (r.async) await r.value;
    } finally {
      Atomics.sub(i32, this.w + RING_SPACE_WAITERS, 1);
    }
  }

  // ---------------------------------------------------------------- consumer side

  /** True when the next record is published (the consumer may read it). */
  hasRecord(): boolean {
    const head = Atomics.load(this.i32, this.w + RING_HEAD);
    return Atomics.load(this.i32, this.dataWord + ((head & this.mask) >> 2)) !== 0;
  }

  /**
   * Visits up to `max` published records in order, in place, then releases their space.
   * Returns how many records were visited. `visit` must not throw (callers catch user errors).
   * With `stopAfter`, the drain ends after the record for which it returns true.
   */
  drain(visit: RecordVisitor, max: number, stopAfter?: () => boolean): number {
    const i32 = this.i32;
    const headIdx = this.w + RING_HEAD;
    const start = Atomics.load(i32, headIdx);
    let head = start;
    let count = 0;
    const takenIdx = this.w + RING_TAKEN;
    let taken = i32[takenIdx]!;
    // Stop after one lap: what lies beyond start + capacity is this batch's own space, not yet zeroed.
    while (count < max && ((head - start) | 0) < this.capacity) {
      const len = Atomics.load(i32, this.dataWord + ((head & this.mask) >> 2));
      if (len === 0) break; // nothing published here yet
      if (len < 0) {
        head = (head - len) | 0; // padding to the end of the data region
        continue;
      }
      // Counted as taken before the visit: once the consumer acts on a record (answers an ask),
      // observers already see it gone from the queue depth. Single writer: a plain store.
      i32[takenIdx] = taken = (taken + 1) | 0;
      visit(this.dataByte + (head & this.mask) + RECORD_HEADER_BYTES, len);
      head = (head + recordBytes(len)) | 0;
      count++;
      if (stopAfter !== undefined && stopAfter()) break;
    }
    if (head !== start) this.release(start, head);
    return count;
  }

  /** Zeroes [start, end) (wrapping), then publishes the new head. */
  private release(start: number, end: number): void {
    const from = start & this.mask;
    const used = (end - start) | 0;
    if (from + used <= this.capacity) {
      this.u8.fill(0, this.dataByte + from, this.dataByte + from + used);
    } else {
      this.u8.fill(0, this.dataByte + from, this.dataByte + this.capacity);
      this.u8.fill(0, this.dataByte, this.dataByte + used - (this.capacity - from));
    }
    const i32 = this.i32;
    Atomics.store(i32, this.w + RING_HEAD, end);
    if (Atomics.load(i32, this.w + RING_SPACE_WAITERS) > 0) Atomics.notify(i32, this.w + RING_HEAD);
  }

  // ---------------------------------------------------------------- observers (any thread)

  /** Messages published or claimed and not yet taken by the consumer. */
  depth(): number {
    return (Atomics.load(this.i32, this.w + RING_ENQUEUED) - Atomics.load(this.i32, this.w + RING_TAKEN)) | 0;
  }

  /** Bytes in use. */
  usedBytes(): number {
    return (Atomics.load(this.i32, this.w + RING_TAIL) - Atomics.load(this.i32, this.w + RING_HEAD)) | 0;
  }

  overflows(): number {
    return Atomics.load(this.i32, this.w + RING_OVERFLOWS);
  }
}
