import type { AnyActorDefinition } from '../transport/contract.js';
import type { Endpoint } from '../transport/endpoint/endpoint.js';
import { FrameError } from '../transport/errors.js';
import { STAT_ERRORS, STAT_HANDLER_MS, STAT_HIGH_WATER } from '../transport/ring/layout.js';
import { createIdle, type IdleStrategy } from '../transport/ring/idle.js';
import { StaleClaimWatch } from '../transport/ring/stale-claims.js';
import { FailureCode, Kind, type ErrorDirectiveName } from '../transport/protocol.js';
import type { ActorContextImpl } from './context.js';
import type { SelfMessages } from './self-messages.js';

/** How many messages one drain handles before the loop looks at its idle strategy again. */
const BATCH = 256;
/** How long an actor awaiting inside `receive` polls its reply ring before it parks. */
const REPLY_SPIN_MICROS = 50;

export interface LoopHooks {
  /** A handler threw, or a frame failed to decode, or a stale claim was skipped. Must not throw. */
  onError(kind: 'handler-error' | 'bad-frame' | 'stale-claim', err: unknown): void;
  /** The actor went idle with handled messages since the last call (snapshots ride on this). */
  onIdle(): void;
}

export interface LoopOptions {
  /** What a receive that throws does; anything but 'resume' ends the loop with that error. */
  onError: ErrorDirectiveName;
  /** How long a claim may stay unpublished before it is taken for a dead producer's and skipped. */
  staleClaimMs: number;
  /** The longest park while a handler is awaited, so the heartbeat keeps moving. */
  beatEveryMs: number;
}

const FAILURE_OF: Record<ErrorDirectiveName, number> = {
  resume: FailureCode.None,
  restart: FailureCode.Restart,
  stop: FailureCode.Stop,
  escalate: FailureCode.Escalate,
};

/** Ends the loop: a receive threw and the actor's onError directive is not 'resume'. */
export class ReceiveFailed {
  constructor(readonly error: unknown) {}
}

/**
 * The loop in each actor's worker: `idle(drain())` until asked to stop, then drain what is left.
 * A handler that returns a promise holds the mailbox (messages are handled one at a time) while
 * the loop keeps reading the reply ring, so `await ctx.ask(...)` inside `receive` works.
 */
export class ActorLoop {
  private inflight: Promise<void> | undefined;
  /** Messages until the mailbox depth is sampled again for the high-water mark. */
  private depthCheckIn = 1;
  private stopRequested = false;
  /** Stop after the message in hand instead of draining the mailbox (a restart, not a final stop). */
  private stopNow = false;
  /** Set when a receive threw and the directive ends the actor: the record stays in hand. */
  private fatal: ReceiveFailed | undefined;
  /** A producer that died mid-write must not stall either ring for ever. */
  private readonly staleMessages: StaleClaimWatch;
  private readonly staleReplies: StaleClaimWatch;
  private handledSinceIdle = false;
  /** Its incarnation ended (an uncaught failure): it touches neither ring again and returns at its next step. */
  private abandoned = false;
  /** Set while an async handler runs: true once it settled. */
  private settled = true;
  /** How the loop waits while an async handler awaits: replies (or its settling) are the only work. */
  private readonly awaiting: IdleStrategy;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly def: AnyActorDefinition,
    private state: unknown,
    private readonly ctx: ActorContextImpl,
    private readonly idle: IdleStrategy,
    private readonly hooks: LoopHooks,
    private readonly options: LoopOptions,
    controlPending: () => boolean,
    private readonly selfMessages: SelfMessages,
  ) {
    const own = endpoint.own;
    this.staleMessages = new StaleClaimWatch(own.messages, options.staleClaimMs);
    this.staleReplies = new StaleClaimWatch(own.replies, options.staleClaimMs);
    this.awaiting = createIdle(
      'async',
      { doorbell: own.doorbell, hasWork: () => this.settled || own.replies.hasRecord() || endpoint.hasDeferredReplies(), controlPending },
      { spinMicros: REPLY_SPIN_MICROS, parkTimeoutMs: options.beatEveryMs },
    );
  }

  /** drain: handle everything queued before stopping; otherwise stop after the message in hand. */
  requestStop(drain: boolean): void {
    this.stopRequested = true;
    if (!drain) this.stopNow = true;
    this.endpoint.own.doorbell.ringAlways();
  }

  /**
   * Ends the loop from outside (its incarnation failed elsewhere: an uncaught exception): the loop is
   * suspended at an await now; when it resumes it returns without reading either ring again (the
   * host recovers them for the next incarnation), and a handler still in flight is ignored if it
   * ever settles.
   */
  abandon(): void {
    this.abandoned = true;
  }

  currentState(): unknown {
    return this.state;
  }

  /** No async receive is under way: the state is whole (what a snapshot may take). */
  get betweenMessages(): boolean {
    return this.inflight === undefined;
  }

  /**
   * Runs until a stop request is met. Rejects with ReceiveFailed when a receive threw and the
   * directive is not 'resume': the message stays in hand, to be delivered again after a restart.
   */
  async run(): Promise<void> {
    for (;;) {
      if (this.abandoned) return;
      const n = this.drain();
      if (this.inflight !== undefined) {
        await this.awaitInflight();
        if (this.abandoned) return;
        if (this.fatal === undefined) continue;
      }
      if (this.fatal !== undefined) throw this.fatal;
      if (this.stopNow || (this.stopRequested && n === 0 && !this.endpoint.own.messages.hasRecord())) return;
      if (n === 0 && this.handledSinceIdle) {
        this.handledSinceIdle = false;
        this.hooks.onIdle();
      }
      const wait = this.idle.idle(n);
      if (wait !== undefined) await wait;
    }
  }

  /** Handles what is ready in both rings; returns how many records were read. */
  drain(): number {
    if (this.abandoned) return 0;
    const own = this.endpoint.own;
    own.beat();
    let n = this.drainReplies();
    if (this.stopNow) return n;
    n += this.drainSelfMessages();
    if (this.inflight !== undefined || this.fatal !== undefined) return n; // one message at a time
    if (!own.messages.hasRecord()) {
      this.skipStale(this.staleMessages);
      return n;
    }
    this.staleMessages.clear();
    this.handledSinceIdle = true;
    // High-water mark: the depth now, then after the first message (it may have been slow) and
    // every 64 after that.
    own.maxStat(STAT_HIGH_WATER, own.messages.depth());
    this.depthCheckIn = 1;
    const t0 = performance.now();
    n += own.messages.drain(this.onMessage, BATCH, this.holding);
    own.addStat(STAT_HANDLER_MS, performance.now() - t0);
    return n;
  }

  /** Handles the messages this actor sent itself (pipeToSelf), until one goes async. */
  private drainSelfMessages(): number {
    let n = 0;
    while (this.selfMessages.size > 0 && this.inflight === undefined && this.fatal === undefined) {
      const msg = this.selfMessages.shift();
      this.ctx.begin(Kind.Send, 0, this.endpoint.id, 0, 0);
      this.handle(msg);
      this.handledSinceIdle = true;
      n++;
    }
    return n;
  }

  /** Reads the replies that came (and retries replies of ours that waited for room). */
  private drainReplies(): number {
    const n = this.endpoint.drainReplies();
    if (n === 0) this.skipStale(this.staleReplies);
    this.endpoint.flushDeferredReplies();
    return n;
  }

  /**
   * The record stays in hand while an async handler runs, or for good when a receive failed
   * fatally. (A stop request arrives by the event loop, so never in the middle of a drain.)
   */
  private readonly holding = (): boolean => this.inflight !== undefined || this.fatal !== undefined;

  private skipStale(watch: StaleClaimWatch): void {
    const bytes = watch.check();
    if (bytes > 0) this.hooks.onError('stale-claim', new Error(watch.describe(bytes)));
  }

  private readonly onMessage = (byte: number, frameBytes: number): void => {
    const ep = this.endpoint;
    const ctx = this.ctx;
    let msg: unknown;
    try {
      const h = ep.readFrame(byte, frameBytes);
      if (h.kind !== Kind.Send && h.kind !== Kind.Ask && h.kind !== Kind.Publish) throw new FrameError(`kind ${h.kind} in the message ring`);
      ctx.begin(h.kind, h.corr, h.from, h.topicByte, h.topicBytes);
      msg = ep.decode(h);
    } catch (err) {
      this.failed('bad-frame', err); // counted before the asker can hear of it
      ctx.fail(err);
      return;
    }
    this.handle(msg);
    if (--this.depthCheckIn === 0) {
      this.depthCheckIn = 64;
      ep.own.maxStat(STAT_HIGH_WATER, ep.own.messages.depth());
    }
  };

  /** Runs `receive` on one message; an async one becomes the message in flight. */
  private handle(msg: unknown): void {
    const ctx = this.ctx;
    try {
      const result = this.def.receive(this.state, msg, ctx);
      if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
        this.inflight = (result as Promise<void>).then(
          () => ctx.finish(),
          (err: unknown) => this.receiveThrew(err),
        );
        return;
      }
      ctx.finish();
    } catch (err) {
      this.receiveThrew(err);
    }
  }

  /** Waits for the async handler to settle, reading replies (and nothing else) meanwhile. */
  private async awaitInflight(): Promise<void> {
    const own = this.endpoint.own;
    this.settled = false;
    void this.inflight!.finally(() => {
      this.settled = true;
      own.doorbell.ringAlways();
    });
    // A handler that never awaited, or whose ask a reply just answered, goes on within a few
    // microtasks: let those run before looking for more replies or parking.
    const letHandlerRun = async (): Promise<void> => {
      for (let i = 0; i < 4 && !this.settled; i++) await undefined;
    };
    await letHandlerRun();
    while (!this.settled) {
      if (this.abandoned) return;
      own.beat();
      const replies = this.drainReplies();
      if (replies > 0) {
        this.awaiting.reset(); // the next wait spins before it parks, as the first did
        await letHandlerRun();
        continue;
      }
      // An answer from a running actor comes within microseconds: poll briefly, then park.
      const wait = this.awaiting.idle(0);
      if (wait !== undefined) await wait;
    }
    this.awaiting.reset();
    this.inflight = undefined;
    if (this.fatal === undefined) own.messages.settle();
    this.idle.reset();
  }

  /** 'resume': report, answer an ask with the error, go on. Otherwise keep the message in hand and end. */
  private receiveThrew(err: unknown): void {
    if (this.abandoned) return; // a handler of a failed incarnation that settled after all
    const code = FAILURE_OF[this.options.onError];
    if (code === FailureCode.None) {
      this.failed('handler-error', err);
      this.ctx.fail(err);
      return;
    }
    this.endpoint.own.addStat(STAT_ERRORS, 1);
    // Read by the host when this worker exits; the message is delivered again (or dead-lettered).
    this.endpoint.own.setFailure(code);
    this.fatal = new ReceiveFailed(err);
  }

  private failed(kind: 'handler-error' | 'bad-frame', err: unknown): void {
    this.endpoint.own.addStat(STAT_ERRORS, 1);
    this.hooks.onError(kind, err);
  }
}
