import { realTimers } from './incarnation.js';
import { serializeError, type ActorEventName, type ControlFromWorker } from '../transport/protocol.js';

/** At most this many events a second reach the host; the rest are counted and summarised. */
const EVENTS_PER_SECOND = 20;

/**
 * Reports errors from inside the actor to the host, which logs them. A handler that throws on
 * every message must not flood the control channel: past the rate limit, events are only
 * counted (the error counter in the stats block counts them all) and one summary is sent.
 */
export class EventReporter {
  private windowStart = 0;
  private inWindow = 0;
  private suppressed = 0;

  constructor(private readonly post: (m: ControlFromWorker) => void) {}

  report(event: ActorEventName, err: unknown): void {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.flush();
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (++this.inWindow > EVENTS_PER_SECOND) {
      if (this.suppressed++ === 0) realTimers.setTimeout(() => this.flush(), 1000).unref();
      return;
    }
    this.post({ type: 'event', event, error: serializeError(err) });
  }

  /** Sends the count of events held back, if any. */
  flush(): void {
    if (this.suppressed === 0) return;
    this.post({ type: 'event', event: 'log-suppressed', detail: { count: this.suppressed } });
    this.suppressed = 0;
  }
}
