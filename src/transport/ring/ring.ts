import {
  RECORD_CLAIMED,
  RECORD_HEADER_BYTES,
  RING_BUSY,
  RING_DONE,
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
 * records in place, a batch at a time, zeroes what it finished with and then advances the head.
 *
 * The consumer's progress (`done`, `busy`) lives in shared memory too, so that when its thread
 * dies the runtime can release what was handled and find the record that was in hand.
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
  /** Consumer side: the position of the next record to visit (ahead of `done` while one is in hand). */
  private next: number;

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
    this.next = Atomics.load(this.i32, this.w + RING_DONE);
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
      let at = offset;
      if (padding !== 0) {
        // The record does not fit before the end: publish a padding record there, start at 0.
        Atomics.store(i32, this.dataWord + (offset >> 2), -padding);
        at = 0;
      }
      // Read only by a consumer that finds this claim never published (see skipStaleClaim).
      i32[this.dataWord + (at >> 2) + RECORD_CLAIMED] = size;
      return this.dataByte + at + RECORD_HEADER_BYTES;
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

  /** Consumer side: the position of the next record to visit. */
  readPosition(): number {
    return this.next;
  }

  /** True while the consumer handles a record (any thread may look). */
  busy(): boolean {
    return Atomics.load(this.i32, this.w + RING_BUSY) === 1;
  }

  /** True when the next record is published (the consumer may read it). */
  hasRecord(): boolean {
    return Atomics.load(this.i32, this.dataWord + ((this.next & this.mask) >> 2)) !== 0;
  }

  /**
   * Visits up to `max` published records in order, in place, then releases the space of those it
   * finished with. Returns how many records were visited. `visit` must not throw (callers catch
   * user errors). With `stopAfter`, the drain ends after the record for which it returns true, and
   * that record stays in hand (its space held, `busy` set) until `settle()`.
   */
  drain(visit: RecordVisitor, max: number, stopAfter?: () => boolean): number {
    const i32 = this.i32;
    const head = Atomics.load(i32, this.w + RING_HEAD);
    const takenIdx = this.w + RING_TAKEN;
    const doneIdx = this.w + RING_DONE;
    const busyIdx = this.w + RING_BUSY;
    let pos = this.next;
    let count = 0;
    let taken = i32[takenIdx]!;
    // Stop after one lap: what lies beyond head + capacity is space not yet released.
    while (count < max && ((pos - head) | 0) < this.capacity) {
      const len = Atomics.load(i32, this.dataWord + ((pos & this.mask) >> 2));
      if (len === 0) break; // nothing published here yet
      if (len < 0) {
        pos = (pos - len) | 0; // padding: to the end of the data region, or over a stale claim
        i32[doneIdx] = pos;
        continue;
      }
      // Counted as taken before the visit: once the consumer acts on a record (answers an ask),
      // observers already see it gone from the queue depth. Single writer: plain stores.
      i32[takenIdx] = taken = (taken + 1) | 0;
      i32[busyIdx] = 1;
      visit(this.dataByte + (pos & this.mask) + RECORD_HEADER_BYTES, len);
      pos = (pos + recordBytes(len)) | 0;
      count++;
      if (stopAfter !== undefined && stopAfter()) break; // in hand until settle()
      i32[doneIdx] = pos;
      i32[busyIdx] = 0;
    }
    this.next = pos;
    const done = i32[doneIdx]!;
    if (done !== head) this.release(head, done);
    return count;
  }

  /** The record kept in hand by `drain`'s stopAfter is finished with: release its space. */
  settle(): void {
    const i32 = this.i32;
    i32[this.w + RING_DONE] = this.next;
    i32[this.w + RING_BUSY] = 0;
    this.release(Atomics.load(i32, this.w + RING_HEAD), this.next);
  }

  /**
   * Takes over the consumer side after its thread died: releases what it finished with and returns
   * whether it died with the record now at the head in hand (that record is then visited again by
   * the next drain). Only while no other thread consumes this ring.
   */
  recoverConsumer(): boolean {
    const i32 = this.i32;
    const done = Atomics.load(i32, this.w + RING_DONE);
    const head = Atomics.load(i32, this.w + RING_HEAD);
    if (done !== head) this.release(head, done);
    this.next = done;
    const inHand = Atomics.exchange(i32, this.w + RING_BUSY, 0) === 1;
    // It was counted as taken; it will be again when it is delivered once more.
    if (inHand) Atomics.sub(i32, this.w + RING_TAKEN, 1);
    return inHand;
  }

  /**
   * True when the consumer is stuck behind a claim that is not published while later ones may be:
   * normal for microseconds; a claim stuck for long was made by a producer that died writing it.
   */
  blockedByClaim(): boolean {
    return !this.hasRecord() && this.claimedAhead();
  }

  /** Space was claimed beyond the read position (for a consumer that just found no record there). */
  claimedAhead(): boolean {
    return Atomics.load(this.i32, this.w + RING_TAIL) !== this.next;
  }

  /**
   * Turns the unpublished claim at the read position into padding, so the records behind it flow
   * again (Agrona's ManyToOneRingBuffer.unblock). Call only once the claim has been stuck far longer
   * than any live producer takes to publish. Returns the bytes skipped (0: nothing to skip).
   */
  skipStaleClaim(): number {
    const i32 = this.i32;
    const offset = this.next & this.mask;
    const lenIdx = this.dataWord + (offset >> 2);
    if (!this.blockedByClaim()) return 0;
    let size = i32[lenIdx + RECORD_CLAIMED]!;
    if (!(size > 0 && size <= this.capacity - offset)) {
      // Its producer died before it wrote the size: the claim is the run of zero words up to the
      // next record (or the tail, or the end of the data region).
      const limit = Math.min(this.capacity - offset, (Atomics.load(i32, this.w + RING_TAIL) - this.next) | 0);
      size = RECORD_HEADER_BYTES;
      while (size < limit && i32[lenIdx + (size >> 2)] === 0 && i32[lenIdx + (size >> 2) + RECORD_CLAIMED] === 0) size += RECORD_HEADER_BYTES;
    }
    // A producer publishing at this very instant wins the word, and nothing is skipped.
    return Atomics.compareExchange(i32, lenIdx, 0, -size) === 0 ? size : 0;
  }

  /** Zeroes [start, end) (wrapping), then publishes the new head. */
  private release(start: number, end: number): void {
    if (start === end) return;
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
