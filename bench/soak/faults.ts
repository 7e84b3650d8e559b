// The soak's faults: what each does, and how the soak knows the system recovered from it.
import { journalLength, lastSeq } from './journals.js';

export type FaultKind = 'actor-kill' | 'actor-throw' | 'actor-hang' | 'redis-el-kill' | 'redis-md-kill' | 'host-kill';
export const FAULT_KINDS: readonly FaultKind[] = ['actor-kill', 'actor-throw', 'actor-hang', 'redis-el-kill', 'redis-md-kill', 'host-kill'];

/** What a fault needs of the soak: its hosts, servers and journals. */
export interface SoakWorld {
  dir: string;
  /** The host running `actor` now (host-b is replaced when it is killed). */
  hostOf(actor: 'ledger' | 'sink'): { call<T = any>(cmd: Record<string, unknown>, timeoutMs?: number): Promise<T> };
  killRedis(bus: 'el' | 'md'): Promise<void>;
  restartRedis(bus: 'el' | 'md'): Promise<void>;
  killHostB(): Promise<void>;
  restartHostB(): Promise<void>;
  /** How many messages the feeder has sent to each journaled actor so far. */
  sent(): Promise<{ ledger: number; sink: number }>;
}

const JOURNAL = { ledger: 'ledger.bin', sink: 'sink.bin' } as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `ok()` holds (polling); false after `timeoutMs`. */
async function until(ok: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    try {
      if (await ok()) return true;
    } catch {
      // a host restarting does not answer yet
    }
    await sleep(20);
  }
  return false;
}

/**
 * The flow to `target` works end to end again: its actor handled a message sent after this call
 * (messages to it are handled in the order sent, so its journal's last seq passes what was sent).
 */
async function caughtUp(world: SoakWorld, target: 'ledger' | 'sink'): Promise<() => boolean> {
  const sent = (await world.sent())[target];
  return () => (lastSeq(world.dir, JOURNAL[target]) ?? -1) >= sent;
}

/** The journal `file` grows past its length now: its actor handles messages again. */
function grows(dir: string, file: string, wordBytes = 4): () => boolean {
  const from = journalLength(dir, file, wordBytes);
  return () => journalLength(dir, file, wordBytes) > from;
}

let faultSeq = 0;

/**
 * Injects one fault and waits for the recovery: resolves with the milliseconds from the injection
 * to the moment the affected flow handled messages again (undefined: not within `timeoutMs`).
 */
export async function injectFault(world: SoakWorld, kind: FaultKind, target: 'ledger' | 'sink', timeoutMs: number): Promise<number | undefined> {
  const t0 = performance.now();
  const recovered = async (ok: () => boolean | Promise<boolean>) => ((await until(ok, timeoutMs)) ? performance.now() - t0 : undefined);
  const id = `${process.pid}-${++faultSeq}`;
  switch (kind) {
    case 'actor-kill':
    case 'actor-throw':
    case 'actor-hang': {
      const host = world.hostOf(target);
      const before = (await host.call<any>({ cmd: 'stats?' })).actors[target].restarts as number;
      if (kind === 'actor-kill') await host.call({ cmd: 'kill', name: target });
      else await host.call({ cmd: 'send', to: target, msg: kind === 'actor-throw' ? { type: 'throw', id } : { type: 'hang', id, ms: 3000 } });
      // Recovered: restarted, and then handling what is sent to it again.
      let flowing: (() => boolean) | undefined;
      return recovered(async () => {
        if (flowing === undefined) {
          const restarts = (await world.hostOf(target).call<any>({ cmd: 'stats?' })).actors[target].restarts as number;
          if (restarts > before) flowing = await caughtUp(world, target);
          return false;
        }
        return flowing();
      });
    }
    case 'redis-el-kill':
    case 'redis-md-kill': {
      const bus = kind === 'redis-el-kill' ? 'el' : 'md';
      await world.killRedis(bus);
      await sleep(500);
      await world.restartRedis(bus);
      return recovered(bus === 'el' ? await caughtUp(world, 'ledger') : grows(world.dir, 'quotes.bin', 1));
    }
    case 'host-kill': {
      await world.killHostB();
      await world.restartHostB();
      return recovered(await caughtUp(world, 'ledger'));
    }
  }
}
