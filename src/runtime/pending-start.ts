import { SpawnFailed } from '../transport/errors.js';

/**
 * A start waiting for its worker's 'ready' (with the actor's topic patterns), or for a reason it
 * will not come: init threw, the worker died, or startTimeoutMs passed. One at a time per actor.
 */
export class PendingStart {
  private pending: { ready(subscribe: string[]): void; failed(err: Error): void } | undefined;

  constructor(
    private readonly actor: string,
    private readonly timeoutMs: number,
  ) {}

  /** Resolves on ready(), rejects on failed() or after the start timeout. */
  wait(): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.failed(`init did not finish within ${this.timeoutMs} ms (startTimeoutMs)`), this.timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.pending = undefined;
      };
      this.pending = {
        ready: (subscribe) => {
          done();
          resolve(subscribe);
        },
        failed: (err) => {
          done();
          reject(err);
        },
      };
    });
  }

  ready(subscribe: string[]): void {
    this.pending?.ready(subscribe);
  }

  /** The start fails with SpawnFailed naming the actor and why (an error's message, or `why`). */
  failed(why: string, cause?: Error): void {
    this.pending?.failed(new SpawnFailed(this.actor, why, cause !== undefined ? { cause } : undefined));
  }
}
