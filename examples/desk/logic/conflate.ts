/**
 * Conflation, as trading front ends do it: of a topic that changes 5,000 times a second a screen
 * needs the latest value a few times a second. The websocket engine offers every message here and
 * takes out, every interval, the latest value of each topic that changed since: the WebSocket
 * clients' load is bounded by the number of topics, not by the desk's message rate.
 */
export class Conflator {
  private readonly latest = new Map<string, unknown>();
  private readonly dirty = new Set<string>();
  offered = 0;
  emitted = 0;

  offer(topic: string, value: unknown): void {
    this.offered++;
    this.latest.set(topic, value);
    this.dirty.add(topic);
  }

  /** The topics that changed since the last call, each with its latest value, in first-change order. */
  take(): Array<{ topic: string; value: unknown }> {
    const out: Array<{ topic: string; value: unknown }> = [];
    for (const topic of this.dirty) out.push({ topic, value: this.latest.get(topic) });
    this.dirty.clear();
    this.emitted += out.length;
    return out;
  }

  /** Every topic seen, with its latest value (a client that connects late gets the whole picture). */
  all(): Array<{ topic: string; value: unknown }> {
    return [...this.latest].map(([topic, value]) => ({ topic, value }));
  }
}
