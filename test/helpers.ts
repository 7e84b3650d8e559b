import { pino } from 'pino';
import { afterEach } from 'vitest';
import { createSystem, type System, type SystemOptions } from 'dualbus';

/** A fixture actor module, built to JavaScript next to the package (workers cannot load .ts). */
export function fixture(name: string): URL {
  return new URL(`../dist/test/fixtures/${name}.js`, import.meta.url);
}

/** A system whose log lines are kept in memory (and parsed), so tests can assert on them. */
export async function testSystem(options: SystemOptions = {}): Promise<{ system: System; logs: Array<Record<string, unknown>> }> {
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const system = await createSystem({ logger, ...options });
  return { system, logs };
}

export async function eventually<T>(probe: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    let v: T | undefined;
    let failure: unknown;
    try {
      v = await probe();
      if (ok(v)) return v;
    } catch (err) {
      failure = err; // e.g. an ask refused while the mailbox is still full: try again
    }
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms; last value ${JSON.stringify(v)} ${failure ?? ''}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `start(options)` makes a testSystem that is shut down after the test, whatever its outcome. */
export function systemPerTest(): (options?: SystemOptions) => ReturnType<typeof testSystem> {
  let current: System | undefined;
  afterEach(async () => {
    await current?.shutdown();
    current = undefined;
  });
  return async (options = {}) => {
    const t = await testSystem(options);
    current = t.system;
    return t;
  };
}
