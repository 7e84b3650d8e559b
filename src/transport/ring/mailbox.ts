import { viewsOf, type BufferViews } from '../buffer-views.js';
import { Doorbell } from './doorbell.js';
import {
  BLOCKED_ON,
  FAILURE,
  HEARTBEAT,
  REFUSED,
  HISTOGRAM_BUCKETS,
  MAX_RING_BYTES,
  MIN_RING_BYTES,
  ON_FULL_THROWS,
  POISON_DELIVERIES,
  POISON_POSITION,
  RESTART_APPROVED,
  STATE,
  histogramSlot,
  isPowerOfTwo,
  latencyBucket,
  mailboxLayout,
  statSlot,
} from './layout.js';
import { Ring } from './ring.js';

/**
 * One endpoint's mailbox block (layout.ts): a doorbell, lifecycle and heartbeat words, stats, a
 * ring for messages and a ring for replies to the asks it made. Replies have their own ring so an
 * actor awaiting an answer inside `receive` can read it without touching its queued messages.
 */
export class Mailbox {
  readonly views: BufferViews;
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly dv: DataView;
  readonly messages: Ring;
  readonly replies: Ring;
  readonly doorbell: Doorbell;

  static create(messagesBytes: number, repliesBytes: number): Mailbox {
    for (const [what, n] of [['mailboxBytes', messagesBytes], ['repliesBytes', repliesBytes]] as const) {
      if (!isPowerOfTwo(n) || n < MIN_RING_BYTES || n > MAX_RING_BYTES) {
        throw new RangeError(`${what} must be a power of two from ${MIN_RING_BYTES} to ${MAX_RING_BYTES}; got ${n}`);
      }
    }
    const layout = mailboxLayout(messagesBytes, repliesBytes);
    return new Mailbox(new SharedArrayBuffer(layout.totalBytes), messagesBytes, repliesBytes);
  }

  constructor(
    readonly block: SharedArrayBuffer,
    readonly messagesBytes: number,
    readonly repliesBytes: number,
  ) {
    const layout = mailboxLayout(messagesBytes, repliesBytes);
    if (block.byteLength !== layout.totalBytes) {
      throw new RangeError(`mailbox block of ${block.byteLength} bytes does not match its ring sizes (${layout.totalBytes} expected)`);
    }
    this.views = viewsOf(block);
    this.i32 = this.views.i32;
    this.f64 = this.views.f64;
    this.dv = this.views.dv;
    this.messages = new Ring(block, layout.messagesRingByte, messagesBytes);
    this.replies = new Ring(block, layout.repliesRingByte, repliesBytes);
    this.doorbell = new Doorbell(this.i32);
  }

  /** True when either ring has a record ready. */
  hasWork(): boolean {
    return this.messages.hasRecord() || this.replies.hasRecord();
  }

  state(): number {
    return Atomics.load(this.i32, STATE);
  }

  setState(state: number): void {
    Atomics.store(this.i32, STATE, state);
  }

  onFullThrows(): boolean {
    return Atomics.load(this.i32, ON_FULL_THROWS) === 1;
  }

  setOnFullThrows(throws: boolean): void {
    Atomics.store(this.i32, ON_FULL_THROWS, throws ? 1 : 0);
  }

  /** Why the consumer's worker is about to die (FailureCode); the host reads it at the exit. */
  failure(): number {
    return Atomics.load(this.i32, FAILURE);
  }

  setFailure(code: number): void {
    Atomics.store(this.i32, FAILURE, code);
  }

  /** Host: one restart in place is approved ahead of time (see RESTART_APPROVED). */
  approveRestart(): void {
    Atomics.store(this.i32, RESTART_APPROVED, 1);
  }

  /**
   * Takes the approval (worker: to restart now; host: to withdraw it). True for the one side that
   * took it; false when there was none, or the other side took it first.
   */
  takeRestartApproval(): boolean {
    return Atomics.compareExchange(this.i32, RESTART_APPROVED, 1, 0) === 1;
  }

  /** The message in hand at the last failure: its ring position and its failed deliveries (0: none). */
  poison(): { position: number; deliveries: number } {
    return { position: Atomics.load(this.i32, POISON_POSITION), deliveries: Atomics.load(this.i32, POISON_DELIVERIES) };
  }

  setPoison(position: number, deliveries: number): void {
    Atomics.store(this.i32, POISON_POSITION, position);
    Atomics.store(this.i32, POISON_DELIVERIES, deliveries);
  }

  /** The failed deliveries of the message at ring `position` once one more failed now (host and worker count alike). */
  failedDeliveries(position: number): number {
    const p = this.poison();
    return p.deliveries > 0 && p.position === position ? p.deliveries + 1 : 1;
  }

  /**
   * Takes the consumer's place after its incarnation ended (its thread died, or it retired in a
   * kept worker): releases what it finished, drops the answers to asks nobody waits for any more.
   * True when it ended with a message in hand (that message is then read again first).
   */
  recoverConsumers(): boolean {
    const inHand = this.messages.recoverConsumer();
    this.replies.recoverConsumer();
    this.replies.drain(() => {}, Infinity);
    return inHand;
  }

  beat(): void {
    Atomics.add(this.i32, HEARTBEAT, 1);
  }

  heartbeat(): number {
    return Atomics.load(this.i32, HEARTBEAT);
  }

  /** A write of this endpoint found endpoint `target`'s ring full: it is blocked by backpressure. */
  noteRefused(target: number): void {
    Atomics.store(this.i32, BLOCKED_ON, target + 1);
    Atomics.add(this.i32, REFUSED, 1);
  }

  /** How many writes of this endpoint found a full ring so far (wraps at 2^32). */
  refusals(): number {
    return Atomics.load(this.i32, REFUSED);
  }

  /** The endpoint whose full ring last refused a write of this one; -1 if none ever did. */
  blockedOn(): number {
    return Atomics.load(this.i32, BLOCKED_ON) - 1;
  }

  // Stats have one writer (the endpoint that owns the block); readers tolerate a stale value.
  stat(slot: number): number {
    return this.f64[statSlot(slot)]!;
  }

  addStat(slot: number, n: number): void {
    this.f64[statSlot(slot)]! += n;
  }

  maxStat(slot: number, n: number): void {
    const i = statSlot(slot);
    if (n > this.f64[i]!) this.f64[i] = n;
  }

  recordLatencyNs(ns: number): void {
    this.f64[histogramSlot(latencyBucket(ns))]! += 1;
  }

  histogram(): Float64Array {
    const first = histogramSlot(0);
    return this.f64.slice(first, first + HISTOGRAM_BUCKETS);
  }
}
