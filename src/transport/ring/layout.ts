/**
 * Every shared-memory layout of a mailbox, in one place. No other file does index arithmetic on a
 * mailbox block: they call the descriptor functions at the bottom of this file (the frame inside a
 * ring record has its own layout file, codec/frame.ts).
 *
 * One actor (and the host, and the bridge) owns one **mailbox block**: a single SharedArrayBuffer
 * that the runtime allocates and keeps, so the rings outlive the worker that reads them.
 *
 * ```
 *  byte 0        +--------------------------------------------------------------+
 *  line 0        | DOORBELL   i32 parked | i32 signal | i32 control | ...       |  written by producers
 *  byte 64       +--------------------------------------------------------------+  (rarely) and the host
 *  line 1        | LIFECYCLE  i32 state  | i32 onFull | i32 failure |           |  written by the host
 *                |            i32 restartApproved | i32 poisonPosition |     |  (approval: host and
 *                |            i32 poisonDeliveries | ...                    |  worker, by CAS)
 *  byte 128      +--------------------------------------------------------------+
 *  line 2        | HEARTBEAT  i32 beat   | i32 refused | i32 blockedOn | ...    |  written by the owner's thread
 *  byte 192      +--------------------------------------------------------------+
 *                | STATS      f64 x STAT_SLOTS: received, sent, errors, ...     |  written by the owner's thread
 *                |            f64 x HISTOGRAM_BUCKETS: latency histogram        |  (single writer)
 *                +--------------------------------------------------------------+
 *                | RING messages: header (4 lines) + data (messageBytes)        |
 *                +--------------------------------------------------------------+
 *                | RING replies:  header (4 lines) + data (replyBytes)          |
 *                +--------------------------------------------------------------+
 * ```
 *
 * A **ring** is a many-producer, single-consumer queue of variable-length records:
 *
 * ```
 *  +0    line H | i32 head (consumer position)                          |  consumer, once per batch
 *  +64   line T | i32 tail (claim position) | i32 epoch | i32 enqueued   |  producers CAS; epoch: consumer, once per GiB
 *  +128  line S | i32 spaceWaiters | i32 overflows                       |  producers, on full only
 *  +192  line C | i32 taken | i32 done | i32 busy                         |  consumer, per record
 *  +256  data   | record | record | ... | padding | (wraps to data+0)     |
 *
 *  record:  | i32 length (payload bytes, >0) | i32 claimed (bytes) | payload ... | pad to 8 |
 *  padding: | i32 -(bytes to skip) |   (skipped by the consumer: to the end of data, or a stale claim)
 * ```
 *
 * Positions (head, tail, done) are byte counters that grow for ever and wrap at 2^32 (Int32
 * arithmetic); `position & (capacity - 1)` is the offset in data (the capacity, a power of two,
 * divides 2^32). The consumer bumps `epoch` each time head crosses a multiple of 2^30.
 *
 * **A producer keeps the head it last read**, and only reads it again when its cached view says
 * full or when the epoch it reads beside the tail differs from the one it read just before that
 * head. While the epoch is unchanged, head has crossed at most one 2^30 boundary past the cached
 * head whose epoch store is not yet seen, so it is less than 2^31 bytes ahead of it and
 * `tail - cachedHead` (at most capacity + 2^31 < 2^32) is exact modulo 2^32: the cached head can
 * only make the ring look fuller than it is, never emptier, however long a producer sat idle.
 * (With positions alone, a producer idle while 2^32 bytes went by would see a stale head alias to
 * a recent one.)
 *
 * A producer claims a **run** of one or more records with one compare-exchange on tail and writes
 * `claimed` (the run's bytes) into its first record at once, so a consumer that finds a claim never
 * published (its producer died) knows how many bytes to skip. `taken` counts records handed to the
 * consumer. `done` is the position after the last record it finished with; `busy` is 1 while it
 * handles the record at `done`. They outlive the consumer's thread: after a crash the runtime
 * releases [head, done) and knows, from `busy`, whether the record at `done` was in hand.
 *
 * **Publish rule: a run of records becomes visible when the length word of its first record,
 * written last, is stored with Atomics.store (the other records' length words are written before
 * it); the consumer zeroes every byte it consumed before it advances head with Atomics.store, so a
 * length word of zero always means "not published yet".**
 */

export const CACHE_LINE = 64;
const I32 = 4;
const F64 = 8;

// ---- mailbox block: doorbell line ----------------------------------------------------------
export const DOORBELL_BYTE = 0;
/** 1 while the consumer is parked (or about to park); a producer that swaps it to 0 rings. */
export const PARKED = DOORBELL_BYTE / I32 + 0;
/** Bumped on every ring; the consumer parks with Atomics.wait on this word. */
export const SIGNAL = DOORBELL_BYTE / I32 + 1;
/** Bumped by the host each time it posts a control message, so a parked actor wakes to read it. */
export const CONTROL = DOORBELL_BYTE / I32 + 2;

// ---- mailbox block: lifecycle line ---------------------------------------------------------
export const LIFECYCLE_BYTE = DOORBELL_BYTE + CACHE_LINE;
/** ActorState value: see protocol.ts. Producers read it only on the slow paths. */
export const STATE = LIFECYCLE_BYTE / I32 + 0;
/** 1 when a full mailbox must make `send` throw MailboxFull instead of returning false. */
export const ON_FULL_THROWS = LIFECYCLE_BYTE / I32 + 1;
/** FailureCode (protocol.ts) the actor's worker stores just before a `receive` error kills it. */
export const FAILURE = LIFECYCLE_BYTE / I32 + 2;
/**
 * 1 while the actor's supervisor approves, ahead of time, one restart in place (it would restart
 * the actor at once and alone, within its restart intensity). The worker of a failing actor that
 * takes it (compare-exchange 1 -> 0) restarts it at once and then tells the host; the host takes it
 * back the same way before any decision the approval could contradict, so exactly one side has it.
 */
export const RESTART_APPROVED = LIFECYCLE_BYTE / I32 + 3;
/**
 * The ring position of the message in hand at the last failure, and how many deliveries of it
 * failed so far (maxDeliveries): written by whoever recovers the consumer after a failure (the
 * host, or the worker in a restart it was approved for), never both at once.
 */
export const POISON_POSITION = LIFECYCLE_BYTE / I32 + 4;
export const POISON_DELIVERIES = LIFECYCLE_BYTE / I32 + 5;

// ---- mailbox block: heartbeat line ---------------------------------------------------------
export const HEARTBEAT_BYTE = LIFECYCLE_BYTE + CACHE_LINE;
/** Bumped by the actor loop on every turn: a watchdog reads progress here. */
export const HEARTBEAT = HEARTBEAT_BYTE / I32 + 0;
/** Bumped each time a write of this endpoint finds its target's ring full (backpressure). */
export const REFUSED = HEARTBEAT_BYTE / I32 + 1;
/** The endpoint id + 1 of the target whose full ring last refused a write of this endpoint. */
export const BLOCKED_ON = HEARTBEAT_BYTE / I32 + 2;

// ---- mailbox block: stats ------------------------------------------------------------------
export const STATS_BYTE = HEARTBEAT_BYTE + CACHE_LINE;
/** Float64 slot indices (relative to STATS_BYTE / 8). */
export const STAT_RECEIVED = 0;
export const STAT_SENT = 1;
export const STAT_ERRORS = 2;
export const STAT_HANDLER_MS = 3;
export const STAT_HIGH_WATER = 4;
export const STAT_ASKS_SENT = 5;
export const STAT_REPLIES = 6;
export const STAT_SLOTS = 8;
/** Latency histogram: HISTOGRAM_PER_OCTAVE buckets per doubling of nanoseconds. */
export const HISTOGRAM_PER_OCTAVE = 8;
export const HISTOGRAM_BUCKETS = 40 * HISTOGRAM_PER_OCTAVE; // up to 2^40 ns, about 18 minutes
const STATS_BYTES = alignUp((STAT_SLOTS + HISTOGRAM_BUCKETS) * F64, CACHE_LINE);

// ---- ring header (byte offsets from the ring's first byte) ---------------------------------
const HEAD_BYTE = 0;
const TAIL_BYTE = CACHE_LINE;
const EPOCH_BYTE = TAIL_BYTE + I32;
const ENQUEUED_BYTE = EPOCH_BYTE + I32;
const SPACE_WAITERS_BYTE = 2 * CACHE_LINE;
const OVERFLOWS_BYTE = SPACE_WAITERS_BYTE + I32;
/** Its own line: written for every record, while producers read line H when their cache says full. */
const TAKEN_BYTE = 3 * CACHE_LINE;
const DONE_BYTE = TAKEN_BYTE + I32;
const BUSY_BYTE = DONE_BYTE + I32;
export const RING_HEADER_BYTES = 4 * CACHE_LINE;
/** Head crossing a multiple of 2^EPOCH_SHIFT bytes bumps the epoch. */
export const EPOCH_SHIFT = 30;

/** Every record starts with this many bytes: the length word and the claimed-size word. */
export const RECORD_HEADER_BYTES = 8;
export const RECORD_ALIGN = 8;

export const MESSAGES_RING_BYTE = STATS_BYTE + STATS_BYTES;

export const MIN_RING_BYTES = 1 << 10;
export const MAX_RING_BYTES = 1 << 30;

export function alignUp(n: number, to: number): number {
  return (n + to - 1) & ~(to - 1);
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** Where each region of a mailbox block starts, for the given ring capacities. */
export interface MailboxLayout {
  readonly messagesRingByte: number;
  readonly messagesBytes: number;
  readonly repliesRingByte: number;
  readonly repliesBytes: number;
  readonly totalBytes: number;
}

export function mailboxLayout(messagesBytes: number, repliesBytes: number): MailboxLayout {
  const messagesRingByte = MESSAGES_RING_BYTE;
  const repliesRingByte = messagesRingByte + RING_HEADER_BYTES + messagesBytes;
  return {
    messagesRingByte,
    messagesBytes,
    repliesRingByte,
    repliesBytes,
    totalBytes: repliesRingByte + RING_HEADER_BYTES + repliesBytes,
  };
}

// ---- ring descriptor: the index of every header word of one ring ---------------------------

/** The Int32Array indices of one ring's header words, and where its data region starts. */
export interface RingDescriptor {
  readonly head: number;
  readonly tail: number;
  readonly epoch: number;
  readonly enqueued: number;
  readonly spaceWaiters: number;
  readonly overflows: number;
  readonly taken: number;
  readonly done: number;
  readonly busy: number;
  /** Byte offset of the data region in the block. */
  readonly dataByte: number;
}

export function ringDescriptor(ringByte: number): RingDescriptor {
  return {
    head: (ringByte + HEAD_BYTE) / I32,
    tail: (ringByte + TAIL_BYTE) / I32,
    epoch: (ringByte + EPOCH_BYTE) / I32,
    enqueued: (ringByte + ENQUEUED_BYTE) / I32,
    spaceWaiters: (ringByte + SPACE_WAITERS_BYTE) / I32,
    overflows: (ringByte + OVERFLOWS_BYTE) / I32,
    taken: (ringByte + TAKEN_BYTE) / I32,
    done: (ringByte + DONE_BYTE) / I32,
    busy: (ringByte + BUSY_BYTE) / I32,
    dataByte: ringByte + RING_HEADER_BYTES,
  };
}

// ---- records: offsets inside the data region -----------------------------------------------

/** The byte size of a ring record whose payload is `payloadBytes` long. */
export function recordBytes(payloadBytes: number): number {
  return alignUp(RECORD_HEADER_BYTES + payloadBytes, RECORD_ALIGN);
}

/** The largest payload a ring of `capacity` bytes accepts: half of it, so it always fits after a wrap. */
export function maxPayloadBytes(capacity: number): number {
  return capacity / 2 - RECORD_HEADER_BYTES;
}

/** The largest run of records one claim may take: half the ring, so it always fits after a wrap. */
export function maxRunBytes(capacity: number): number {
  return capacity / 2;
}

/** Int32 index of the length word of the record starting at byte `recordByte` of the block. */
export function lengthWord(recordByte: number): number {
  return recordByte >> 2;
}

/** Int32 index of the claimed-size word of the record starting at `recordByte`. */
export function claimedWord(recordByte: number): number {
  return (recordByte >> 2) + 1;
}

/** Byte offset of the payload of the record starting at `recordByte`. */
export function payloadByteOf(recordByte: number): number {
  return recordByte + RECORD_HEADER_BYTES;
}

/** Byte offset of the record after the one at `recordByte` (in the same run), whose payload is `payloadBytes`. */
export function nextRecordByte(recordByte: number, payloadBytes: number): number {
  return recordByte + recordBytes(payloadBytes);
}

/** Byte offset of the record whose payload starts at `payloadByte`. */
export function recordByteOf(payloadByte: number): number {
  return payloadByte - RECORD_HEADER_BYTES;
}

// ---- stats ---------------------------------------------------------------------------------

/** Float64 index of a stats slot. */
export function statSlot(slot: number): number {
  return STATS_BYTE / F64 + slot;
}

/** Float64 index of a latency histogram bucket. */
export function histogramSlot(bucket: number): number {
  return STATS_BYTE / F64 + STAT_SLOTS + bucket;
}

/** The histogram bucket for a latency in nanoseconds. */
export function latencyBucket(ns: number): number {
  if (!(ns > 1)) return 0;
  const b = Math.floor(Math.log2(ns) * HISTOGRAM_PER_OCTAVE);
  return b < HISTOGRAM_BUCKETS ? b : HISTOGRAM_BUCKETS - 1;
}

/** The upper bound, in nanoseconds, of a histogram bucket. */
export function bucketUpperNs(bucket: number): number {
  return 2 ** ((bucket + 1) / HISTOGRAM_PER_OCTAVE);
}
