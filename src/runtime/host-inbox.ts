import type { Endpoint } from '../transport/endpoint/endpoint.js';
import { FrameError } from '../transport/errors.js';
import { Kind } from '../transport/protocol.js';
import { createIdle, type IdleStrategy } from '../transport/ring/idle.js';
import { StaleClaimWatch } from '../transport/ring/stale-claims.js';

/** Messages handled per turn before the inbox lets the host's event loop run again. */
const TURN_BUDGET = 1024;
/** The longest park: the inbox looks at its rings at least this often. */
const PARK_MS = 1000;

/**
 * The host thread's consumer: reads replies to the host's asks and the publishes the host
 * subscribed to, never blocking the host's event loop: `idle(drain())` with the async strategy,
 * yielding after every drain that found work (the host's own work comes first).
 */
export class HostInbox {
  private running = false;
  private done: Promise<void> = Promise.resolve();
  private readonly idle: IdleStrategy;
  private readonly staleMessages: StaleClaimWatch;
  private readonly staleReplies: StaleClaimWatch;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly deliver: (topic: string, msg: unknown) => void,
    private readonly onBadFrame: (err: unknown) => void,
    staleClaimMs: number,
    /** A claim of a producer that died mid-write was skipped (`message` says how much). */
    private readonly onStaleClaim: (message: string) => void,
  ) {
    const own = endpoint.own;
    this.staleMessages = new StaleClaimWatch(own.messages, staleClaimMs);
    this.staleReplies = new StaleClaimWatch(own.replies, staleClaimMs);
    this.idle = createIdle(
      'async',
      // A reply waiting for room (to a dead letter's asker) keeps the inbox awake until it fits.
      { doorbell: own.doorbell, hasWork: () => own.hasWork() || endpoint.hasDeferredReplies() || !this.running, controlPending: () => false },
      { spinMicros: 0, parkTimeoutMs: PARK_MS, yieldEveryMs: 0 },
    );
  }

  start(): void {
    this.running = true;
    this.done = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.endpoint.own.doorbell.ringAlways();
    await this.done;
  }

  /**
   * Busy-polls the reply ring until `settled()` or `micros` pass: a reply then costs no wake-up.
   * Used by hostWait 'spin'; blocks the host thread for at most `micros`.
   */
  spinFor(settled: () => boolean, micros: number): void {
    const until = performance.now() + micros / 1000;
    let i = 0;
    while (!settled()) {
      this.endpoint.drainReplies();
      if ((++i & 63) === 0 && performance.now() > until) return;
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      const replies = this.endpoint.drainReplies();
      const messages = this.endpoint.own.messages.drain(this.onMessage, TURN_BUDGET);
      this.endpoint.flushDeferredReplies();
      if (replies === 0) this.skipStale(this.staleReplies);
      if (messages === 0) this.skipStale(this.staleMessages);
      const wait = this.idle.idle(replies + messages);
      if (wait !== undefined) await wait;
    }
  }

  private skipStale(watch: StaleClaimWatch): void {
    const bytes = watch.check();
    if (bytes > 0) this.onStaleClaim(watch.describe(bytes));
  }

  private readonly onMessage = (byte: number, frameBytes: number): void => {
    let topic: string;
    let msg: unknown;
    try {
      const h = this.endpoint.readFrame(byte, frameBytes);
      if (h.kind !== Kind.Publish) throw new FrameError(`kind ${h.kind} sent to the host; the host only receives publishes and replies`);
      topic = this.endpoint.topicOf(h);
      msg = this.endpoint.decode(h);
    } catch (err) {
      this.onBadFrame(err);
      return;
    }
    this.deliver(topic, msg);
  };
}
