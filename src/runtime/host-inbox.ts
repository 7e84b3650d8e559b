import type { Endpoint } from '../transport/endpoint.js';
import { FrameError } from '../transport/errors.js';
import { Kind } from '../transport/protocol.js';
import { yieldTurn } from '../transport/ring/idle.js';

/** Messages handled per turn before the inbox lets the host's event loop run again. */
const TURN_BUDGET = 1024;

/**
 * The host thread's consumer: reads replies to the host's asks and the publishes the host
 * subscribed to, without ever blocking the host's event loop (it parks with Atomics.waitAsync).
 */
export class HostInbox {
  private running = false;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly endpoint: Endpoint,
    private readonly deliver: (topic: string, msg: unknown) => void,
    private readonly onBadFrame: (err: unknown) => void,
  ) {}

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
    const own = this.endpoint.own;
    while (this.running) {
      let n = this.endpoint.drainReplies();
      n += own.messages.drain(this.onMessage, TURN_BUDGET); // the host is never asked, so never replies
      if (n > 0) {
        await yieldTurn(); // the host's own work comes first
        continue;
      }
      const seq = own.doorbell.prepareToPark();
      if (own.hasWork() || !this.running) {
        own.doorbell.unpark();
        continue;
      }
      await own.doorbell.parkAsync(seq, 1000);
    }
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
