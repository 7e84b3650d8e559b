import { matchTopic } from '../transport/topic.js';

export type SubscriptionHandler = (msg: any, topic: string) => void;

/** The handlers the host thread subscribed (`system.subscribe`), called for each publish that matches. */
export class HostSubscribers {
  private readonly handlers = new Set<{ pattern: string; handler: SubscriptionHandler }>();

  constructor(private readonly onHandlerError: (err: unknown, topic: string) => void) {}

  /** Adds a handler; returns a function that removes it (true the first time). */
  add(pattern: string, handler: SubscriptionHandler): () => boolean {
    const entry = { pattern, handler };
    this.handlers.add(entry);
    return () => this.handlers.delete(entry);
  }

  /** Calls every matching handler; one that throws is reported and the others still run. */
  deliver(topic: string, msg: unknown): void {
    for (const { pattern, handler } of this.handlers) {
      if (!matchTopic(pattern, topic)) continue;
      try {
        handler(msg, topic);
      } catch (err) {
        this.onHandlerError(err, topic);
      }
    }
  }
}
