// Availability, as the engines that depend on an engine see it: every `everyMs` the probe asks
// each engine `{ type: 'ping' }` and counts the answers that came within `timeoutMs`. An engine
// restarting in place or in a warm worker keeps its mailbox, so a ping sent while it is down is
// answered late rather than lost: it counts as available when it is answered within the timeout.
import type { System } from 'dualbus';

export interface ProbeFigures {
  asked: number;
  answered: number;
  failed: number;
  /** answered / asked, in percent. */
  availabilityPct: number;
  /** The slowest answer, in ms. */
  slowestMs: number;
  /** The failures by engine and error code. */
  failures: Record<string, Record<string, number>>;
}

export class AvailabilityProbe {
  private asked = 0;
  private answered = 0;
  private failed = 0;
  private slowestMs = 0;
  private readonly failures: Record<string, Record<string, number>> = {};
  private readonly pending = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly system: System,
    private readonly engines: readonly string[],
    private readonly everyMs = 100,
    private readonly timeoutMs = 1000,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.round(), this.everyMs);
  }

  /** Stops probing and waits for the answers still out. */
  async stop(): Promise<ProbeFigures> {
    clearInterval(this.timer);
    await Promise.all(this.pending);
    return this.figures();
  }

  figures(): ProbeFigures {
    return {
      asked: this.asked,
      answered: this.answered,
      failed: this.failed,
      availabilityPct: this.asked === 0 ? 100 : (100 * this.answered) / this.asked,
      slowestMs: this.slowestMs,
      failures: this.failures,
    };
  }

  private round(): void {
    for (const name of this.engines) {
      this.asked++;
      const t0 = performance.now();
      const p = this.ping(name).then(
        () => {
          this.answered++;
          this.slowestMs = Math.max(this.slowestMs, performance.now() - t0);
        },
        (err: { code?: string; name?: string }) => {
          this.failed++;
          const byCode = (this.failures[name] ??= {});
          const code = err.code ?? err.name ?? 'Error';
          byCode[code] = (byCode[code] ?? 0) + 1;
        },
      );
      this.pending.add(p);
      void p.finally(() => this.pending.delete(p));
    }
  }

  private async ping(name: string): Promise<void> {
    const answer = await this.system.ref(name).ask({ type: 'ping' }, { timeoutMs: this.timeoutMs });
    if (answer !== 'pong') throw Object.assign(new Error(`${name} answered ${JSON.stringify(answer)} to a ping`), { code: 'WrongAnswer' });
  }
}

/** Milliseconds from now until `name` answers a ping (asked every `everyMs` with a short timeout). */
export async function timeToAnswer(system: System, name: string, limitMs = 60_000, everyMs = 1): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < limitMs) {
    try {
      if ((await system.ref(name).ask({ type: 'ping' }, { timeoutMs: 50 })) === 'pong') return performance.now() - t0;
    } catch {
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
  throw new Error(`${name} did not answer a ping within ${limitMs} ms`);
}
