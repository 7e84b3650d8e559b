import { viewsOf, type BufferViews } from '../buffer-views.js';
import {
  EPOCH_SHIFT,
  RECORD_HEADER_BYTES,
  claimedWord,
  lengthWord,
  maxPayloadBytes,
  maxRunBytes,
  nextRecordByte,
  payloadByteOf,
  recordByteOf,
  recordBytes,
  ringDescriptor,
  type RingDescriptor,
} from './layout.js';

/** Called once per published record, with the byte offset of its payload in the buffer. */
export type RecordVisitor = (payloadByte: number, payloadBytes: number) => void;

/**
 * A many-producer, single-consumer ring of variable-length records in shared memory (layout.ts
 * draws the bytes and states the publish rule). Producers claim a run of one or more records with
 * one compare-exchange on the tail, write them, then publish the run's first length word last. The
 * consumer reads records in place, a batch at a time, zeroes what it finished with and then
 * advances the head.
 *
 * The consumer's progress (`done`, `busy`) lives in shared memory too, so that when its thread
 * dies the runtime can release what was handled and find the record that was in hand.
 */
export class Ring {
  readonly views: BufferViews;
  readonly i32: Int32Array;
  readonly u8: Uint8Array;
  readonly capacity: number;
  /** The largest payload of one record. */
  readonly maxPayload: number;
  /** The most bytes one run of records may take. */
  readonly maxRun: number;
  private readonly mask: number;
  private readonly d: RingDescriptor;
  private readonly dataByte: number;
  /** Producer side: the head this producer last read (never ahead of the real one), and the epoch read just before it. */
  private cachedHead = 0;
  private cachedEpoch = -1;
  /** Consumer side: the position of the next record to visit (ahead of `done` while one is in hand). */
  private next: number;

  constructor(
    readonly buffer: SharedArrayBuffer,
    ringByte: number,
    capacity: number,
  ) {
    this.views = viewsOf(buffer);
    this.i32 = this.views.i32;
    this.u8 = this.views.u8;
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.maxPayload = maxPayloadBytes(capacity);
    this.maxRun = maxRunBytes(capacity);
    this.d = ringDescriptor(ringByte);
    this.dataByte = this.d.dataByte;
    this.next = Atomics.load(this.i32, this.d.done);
  }

  // ---------------------------------------------------------------- producer side

  /**
   * Claims room for one record of `payloadBytes` and returns the byte offset where its payload
   * goes, or -1 when the ring is full. The caller writes the payload, then calls `publish`. The
   * caller has checked `1 <= payloadBytes <= maxPayload` (a length of 0 means "unpublished").
   */
  claim(payloadBytes: number): number {
    const record = this.claimRun(recordBytes(payloadBytes), 1);
    return record < 0 ? -1 : payloadByteOf(record);
  }

  /** Makes a record claimed with `claim` visible to the consumer: its length word is stored last. */
  publish(payloadByte: number, payloadBytes: number): void {
    this.publishRun(recordByteOf(payloadByte), payloadBytes);
  }

  /**
   * Claims `bytes` (a sum of `recordBytes`, at most `maxRun`) for a run of `count` records, in one
   * piece of the data region, and returns the byte offset of the first record, or -1 when the ring
   * is full. The caller writes the records (`setLength` for every one but the first), then calls
   * `publishRun` with the first record's length.
   */
  claimRun(bytes: number, count: number): number {
    const i32 = this.i32;
    const d = this.d;
    let looked = false;
    for (;;) {
      const tail = Atomics.load(i32, d.tail);
      // Same line as the tail: free. A moved epoch means the cached head may be 2^31 behind: look again.
      if (Atomics.load(i32, d.epoch) !== this.cachedEpoch) this.lookAtHead();
      const offset = tail & this.mask;
      const toEnd = this.capacity - offset;
      const need = (bytes > toEnd ? toEnd : 0) + bytes;
      if (((tail - this.cachedHead) >>> 0) + need > this.capacity) {
        if (looked) return -1;
        this.lookAtHead(); // the cached head says full: look at the real one (and at a fresh tail)
        looked = true;
        continue;
      }
      if (Atomics.compareExchange(i32, d.tail, tail, (tail + need) | 0) !== tail) continue;
      Atomics.add(i32, d.enqueued, count);
      let at = offset;
      if (need !== bytes) {
        // The run does not fit before the end: publish a padding record there, start at 0.
        Atomics.store(i32, lengthWord(this.dataByte + offset), -(need - bytes));
        at = 0;
      }
      const record = this.dataByte + at;
      // Read only by a consumer that finds this claim never published (see skipStaleClaim).
      i32[claimedWord(record)] = bytes;
      return record;
    }
  }

  /** Producer side: reads the epoch, then the head (in that order: see layout.ts). */
  private lookAtHead(): void {
    this.cachedEpoch = Atomics.load(this.i32, this.d.epoch);
    this.cachedHead = Atomics.load(this.i32, this.d.head);
  }

  /** Where the payload of the record at `recordByte` starts. */
  payloadByteOf(recordByte: number): number {
    return payloadByteOf(recordByte);
  }

  /** The record after the one at `recordByte` in a run, whose payload is `payloadBytes`. */
  nextRecord(recordByte: number, payloadBytes: number): number {
    return nextRecordByte(recordByte, payloadBytes);
  }

  /** The bytes a run of records with these payload sizes takes. */
  static runBytes(payloadBytes: number, count = 1): number {
    return recordBytes(payloadBytes) * count;
  }

  /** Sets the length word of a record of a run that is not its first (seen once the run is published). */
  setLength(recordByte: number, payloadBytes: number): void {
    this.i32[lengthWord(recordByte)] = payloadBytes;
  }

  /** Makes a claimed run visible: the length word of its first record is stored last. */
  publishRun(firstRecordByte: number, firstPayloadBytes: number): void {
    Atomics.store(this.i32, lengthWord(firstRecordByte), firstPayloadBytes);
  }

  /**
   * The position after everything claimed so far: read just after a write, a receipt for it (the
   * write is handled once `finishedPast` says so; records claimed after it only make that later).
   */
  claimedUpTo(): number {
    return this.tail();
  }

  /** True once the consumer has finished with every record before `position` (any thread may look). */
  finishedPast(position: number): boolean {
    return ((Atomics.load(this.i32, this.d.done) - position) | 0) >= 0;
  }

  /** Counts a refused write (the mailbox was full). */
  countOverflow(): void {
    Atomics.add(this.i32, this.d.overflows, 1);
  }

  /** Resolves when the consumer frees space (head moves), or after `timeoutMs`. */
  async waitForSpace(timeoutMs: number): Promise<void> {
    const head = Atomics.load(this.i32, this.d.head);
    Atomics.add(this.i32, this.d.spaceWaiters, 1);
    try {
      const r = Atomics.waitAsync(this.i32, this.d.head, head, timeoutMs);
      if (r.async) await r.value;
    } finally {
      Atomics.sub(this.i32, this.d.spaceWaiters, 1);
    }
  }

  // ---------------------------------------------------------------- consumer side

  /** Consumer side: the position of the next record to visit. */
  readPosition(): number {
    return this.next;
  }

  /** Consumer side: the position after the last record the consumer finished with (the one in hand, if any, starts there). */
  donePosition(): number {
    return Atomics.load(this.i32, this.d.done);
  }

  /** True while the consumer handles a record (any thread may look). */
  busy(): boolean {
    return Atomics.load(this.i32, this.d.busy) === 1;
  }

  /** True when the next record is published (the consumer may read it). */
  hasRecord(): boolean {
    return Atomics.load(this.i32, this.lengthWordAt(this.next)) !== 0;
  }

  /**
   * Visits up to `max` published records in order, in place, then releases the space of those it
   * finished with. Returns how many records were visited. `visit` must not throw (callers catch
   * user errors). With `stopAfter`, the drain ends after the record for which it returns true, and
   * that record stays in hand (its space held, `busy` set) until `settle()`.
   */
  drain(visit: RecordVisitor, max: number, stopAfter?: () => boolean): number {
    const i32 = this.i32;
    const d = this.d;
    const head = Atomics.load(i32, d.head);
    let pos = this.next;
    let count = 0;
    let taken = i32[d.taken]!;
    // Stop after one lap: what lies beyond head + capacity is space not yet released.
    while (count < max && ((pos - head) | 0) < this.capacity) {
      const record = this.dataByte + (pos & this.mask);
      const len = Atomics.load(i32, lengthWord(record));
      if (len === 0) break; // nothing published here yet
      if (len < 0) {
        pos = (pos - len) | 0; // padding: to the end of the data region, or over a stale claim
        i32[d.done] = pos;
        continue;
      }
      // Counted as taken before the visit: once the consumer acts on a record (answers an ask),
      // observers already see it gone from the queue depth. Single writer: plain stores.
      i32[d.taken] = taken = (taken + 1) | 0;
      i32[d.busy] = 1;
      visit(payloadByteOf(record), len);
      pos = (pos + recordBytes(len)) | 0;
      count++;
      if (stopAfter !== undefined && stopAfter()) break; // in hand until settle()
      i32[d.done] = pos;
      i32[d.busy] = 0;
    }
    this.next = pos;
    const done = i32[d.done]!;
    if (done !== head) this.release(head, done);
    return count;
  }

  /** The record kept in hand by `drain`'s stopAfter is finished with: release its space. */
  settle(): void {
    const i32 = this.i32;
    i32[this.d.done] = this.next;
    i32[this.d.busy] = 0;
    this.release(Atomics.load(i32, this.d.head), this.next);
  }

  /**
   * Takes over the consumer side after its thread died: releases what it finished with and returns
   * whether it died with the record now at the head in hand (that record is then visited again by
   * the next drain). Only while no other thread consumes this ring.
   */
  recoverConsumer(): boolean {
    const head = Atomics.load(this.i32, this.d.head);
    const done = Atomics.load(this.i32, this.d.done);
    if (done !== head) this.release(head, done);
    this.next = done;
    const inHand = Atomics.exchange(this.i32, this.d.busy, 0) === 1;
    // It was counted as taken; it will be again when it is delivered once more.
    if (inHand) Atomics.sub(this.i32, this.d.taken, 1);
    return inHand;
  }

  /**
   * The consumer thread picks up again after another thread recovered its side (`recoverConsumer`,
   * while this one consumed nothing): it reads on from where that left the ring. (An actor restarted
   * in the worker it failed in; a consumer that died uses a new Ring, which starts there anyway.)
   */
  resyncConsumer(): void {
    this.next = Atomics.load(this.i32, this.d.done);
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
    return this.tail() !== this.next;
  }

  /**
   * Turns the unpublished claim at the read position into padding, so the records behind it flow
   * again (Agrona's ManyToOneRingBuffer.unblock). Call only once the claim has been stuck far longer
   * than any live producer takes to publish. Returns the bytes skipped (0: nothing to skip).
   */
  skipStaleClaim(): number {
    if (!this.blockedByClaim()) return 0;
    const i32 = this.i32;
    const offset = this.next & this.mask;
    const record = this.dataByte + offset;
    let size = i32[claimedWord(record)]!;
    if (!(size > 0 && size <= this.capacity - offset)) {
      // Its producer died before it wrote the size: the claim is the run of zero words up to the
      // next record (or the tail, or the end of the data region).
      const limit = Math.min(this.capacity - offset, (this.tail() - this.next) | 0);
      size = RECORD_HEADER_BYTES;
      while (size < limit && i32[lengthWord(record + size)] === 0 && i32[claimedWord(record + size)] === 0) size += RECORD_HEADER_BYTES;
    }
    // A producer publishing at this very instant wins the word, and nothing is skipped.
    return Atomics.compareExchange(i32, lengthWord(record), 0, -size) === 0 ? size : 0;
  }

  /** Zeroes [start, end) (wrapping), then publishes the new head (and a new epoch when it crossed a multiple of 2^30). */
  private release(start: number, end: number): void {
    const from = start & this.mask;
    const used = (end - start) | 0;
    const data = this.dataByte;
    if (from + used <= this.capacity) {
      this.u8.fill(0, data + from, data + from + used);
    } else {
      this.u8.fill(0, data + from, data + this.capacity);
      this.u8.fill(0, data, data + used - (this.capacity - from));
    }
    const i32 = this.i32;
    Atomics.store(i32, this.d.head, end);
    // After the head (a producer reads the epoch before the head: see layout.ts).
    if (start >>> EPOCH_SHIFT !== end >>> EPOCH_SHIFT) Atomics.add(i32, this.d.epoch, 1);
    if (Atomics.load(i32, this.d.spaceWaiters) > 0) Atomics.notify(i32, this.d.head);
  }

  private tail(): number {
    return Atomics.load(this.i32, this.d.tail);
  }

  private lengthWordAt(position: number): number {
    return lengthWord(this.dataByte + (position & this.mask));
  }

  // ---------------------------------------------------------------- observers (any thread)

  /** Messages published or claimed and not yet taken by the consumer. */
  depth(): number {
    return (Atomics.load(this.i32, this.d.enqueued) - Atomics.load(this.i32, this.d.taken)) | 0;
  }

  /** Bytes in use. */
  usedBytes(): number {
    return (this.tail() - Atomics.load(this.i32, this.d.head)) | 0;
  }

  overflows(): number {
    return Atomics.load(this.i32, this.d.overflows);
  }

  /** Records the consumer has taken so far (wraps at 2^32): a watchdog sees progress here. */
  takenCount(): number {
    return Atomics.load(this.i32, this.d.taken);
  }
}
