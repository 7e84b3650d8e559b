import { FrameError } from '../transport/errors.js';
import type { Endpoint } from '../transport/endpoint.js';
import { STAT_ERRORS, STAT_HANDLER_MS, STAT_HIGH_WATER } from '../transport/ring/layout.js';
import type { IdleStrategy } from '../transport/ring/idle.js';
import { Kind } from '../transport/protocol.js';
import type { ActorContextImpl } from './context.js';
import type { AnyActorDefinition } from './define.js';

/** How many messages one drain handles before the loop looks at its idle strategy again. */
const BATCH = 256;
/** How long an actor awaiting inside `receive` polls its reply ring before it parks. */
const REPLY_SPIN_MS = 0.05;

export interface LoopHooks {
  /** A handler threw, or a frame failed to decode. Must not throw. */
  onError(kind: 'handler-error' | 'bad-frame', err: unknown): void;
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

  constructor(
    private readonly endpoint: Endpoint,
    private readonly def: AnyActorDefinition,
    private state: unknown,
    private readonly ctx: ActorContextImpl,
    private readonly idle: IdleStrategy,
    private readonly hooks: LoopHooks,
  ) {}

  requestStop(): void {
    this.stopRequested = true;
    this.endpoint.own.doorbell.ringAlways();
  }

  currentState(): unknown {
    return this.state;
  }

  async run(): Promise<void> {
    for (;;) {
      const n = this.drain();
      if (this.inflight !== undefined) {
        await this.awaitInflight();
        continue;
      }
      if (this.stopRequested && n === 0 && !this.endpoint.own.messages.hasRecord()) return;
      const wait = this.idle.idle(n);
      if (wait !== undefined) await wait;
    }
  }

  /** Handles what is ready in both rings; returns how many records were read. */
  drain(): number {
    const own = this.endpoint.own;
    own.beat();
    let n = this.endpoint.drainReplies();
    this.endpoint.flushDeferredReplies();
    if (!own.messages.hasRecord()) return n;
    // High-water mark: the depth now, then after the first message (it may have been slow) and
    // every 64 after that.
    own.maxStat(STAT_HIGH_WATER, own.messages.depth());
    this.depthCheckIn = 1;
    const t0 = performance.now();
    n += own.messages.drain(this.onMessage, BATCH, this.holding);
    own.addStat(STAT_HANDLER_MS, performance.now() - t0);
    return n;
  }

  private readonly holding = (): boolean => this.inflight !== undefined;

  private readonly onMessage = (byte: number, frameBytes: number): void => {
    const ep = this.endpoint;
    const ctx = this.ctx;
    let msg: unknown;
    try {
      const h = ep.readFrame(byte, frameBytes);
      if (h.kind !== Kind.Send && h.kind !== Kind.Ask && h.kind !== Kind.Publish) throw new FrameError(`kind ${h.kind} in the message ring`);
      ctx.begin(h.kind, h.corr, h.from, h.topicBytes === 0 ? undefined : ep.topicOf(h));
      msg = ep.decode(h);
    } catch (err) {
      this.failed('bad-frame', err); // counted before the asker can hear of it
      ctx.fail(err);
      return;
    }
    try {
      const result = this.def.receive(this.state, msg, ctx);
      if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
        this.inflight = (result as Promise<void>).then(
          () => ctx.finish(),
          (err: unknown) => {
            this.failed('handler-error', err);
            ctx.fail(err);
          },
        );
        return;
      }
      ctx.finish();
    } catch (err) {
      this.failed('handler-error', err);
      ctx.fail(err);
    }
    if (--this.depthCheckIn === 0) {
      this.depthCheckIn = 64;
      ep.own.maxStat(STAT_HIGH_WATER, ep.own.messages.depth());
    }
  };

  /** Waits for the async handler to settle, reading replies (and nothing else) meanwhile. */
  private async awaitInflight(): Promise<void> {
    const own = this.endpoint.own;
    let settled = false;
    void this.inflight!.finally(() => {
      settled = true;
      own.doorbell.ringAlways();
    });
    // A handler that never awaited, or whose ask a reply just answered, goes on within a few
    // microtasks: let those run before looking for more replies or parking.
    const letHandlerRun = async (): Promise<void> => {
      for (let i = 0; i < 4 && !settled; i++) await undefined;
    };
    await letHandlerRun();
    while (!settled) {
      own.beat();
      const replies = this.endpoint.drainReplies();
      this.endpoint.flushDeferredReplies();
      if (replies > 0) {
        await letHandlerRun();
        continue;
      }
      // An answer from a running actor comes within microseconds: poll briefly before parking.
      const until = performance.now() + REPLY_SPIN_MS;
      while (!own.replies.hasRecord() && performance.now() < until);
      if (own.replies.hasRecord()) continue;
      const seq = own.doorbell.prepareToPark();
      if (own.replies.hasRecord() || settled) {
        own.doorbell.unpark();
        continue;
      }
      await own.doorbell.parkAsync(seq, 1000);
    }
    this.inflight = undefined;
    this.idle.reset();
  }

  private failed(kind: 'handler-error' | 'bad-frame', err: unknown): void {
    this.endpoint.own.addStat(STAT_ERRORS, 1);
    this.hooks.onError(kind, err);
  }
}
