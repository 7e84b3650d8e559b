// Hosts telling each other how they are: each publishes its snapshot on `<topic>.<system name>`
// (system.publish crosses hosts on the bus's market-data side), and a gateway keeps the latest one
// of every other host it hears, so one dashboard shows them all. Market data may be lost under
// load; a lost snapshot is replaced by the next one, so that is the right bus for it.
import type { System, Unsubscribe } from '../runtime/system.js';
import { InvalidOption } from '../transport/errors.js';
import { checkHostsTopic, GATEWAY_DEFAULTS, HOST_SNAPSHOT_MAX_AGE_MS } from './options.js';
import { hostSnapshot, type HostSnapshot } from './snapshot.js';

export interface ShareHostSnapshotsOptions {
  /** The topic prefix: this host publishes on `<topic>.<system name>` (a gateway's hostsTopic). */
  topic: string;
  /** How often (default: the gateway's snapshotIntervalMs default, 500 ms). */
  everyMs?: number;
}

/**
 * Publishes this host's snapshot now and every `everyMs` on `<topic>.<system name>`, for a host that
 * runs no gateway of its own. Returns the function that stops it (it also stops by itself once the
 * system is shut down).
 */
export function shareHostSnapshots(system: System, options: ShareHostSnapshotsOptions): () => void {
  if (typeof options !== 'object' || options === null) throw new InvalidOption('shareHostSnapshots options', 'an object with a topic', options);
  for (const k of Object.keys(options)) if (k !== 'topic' && k !== 'everyMs') throw new InvalidOption(`shareHostSnapshots options.${k}`, 'one of the known options (topic, everyMs)', k);
  checkHostsTopic('topic', options.topic);
  const everyMs = options.everyMs ?? GATEWAY_DEFAULTS.snapshotIntervalMs;
  if (!(typeof everyMs === 'number' && Number.isFinite(everyMs) && everyMs >= 10)) throw new InvalidOption('everyMs', 'a finite number of milliseconds >= 10', everyMs);
  const topic = `${options.topic}.${system.name}`;
  const share = (): void => {
    try {
      system.publish(topic, hostSnapshot(system));
    } catch {
      stop(); // the system is shut down: nothing left to tell
    }
  };
  const timer = setInterval(share, everyMs);
  timer.unref(); // the system's own handles decide when the process may exit, not this
  const stop = (): void => clearInterval(timer);
  share();
  return stop;
}

/**
 * The latest snapshot of every other host that publishes on `<topic>.*`, dropped once older than
 * HOST_SNAPSHOT_MAX_AGE_MS by when it arrived here (the hosts' clocks need not agree).
 */
export class HostBoard {
  private readonly latest = new Map<string, { snapshot: HostSnapshot; at: number }>();
  private readonly off: Unsubscribe;
  /** Messages on the topic that were not a host snapshot (ignored). */
  rejected = 0;

  constructor(private readonly self: string, system: System, topic: string) {
    this.off = system.subscribe(`${topic}.*`, (msg: unknown) => {
      if (!isHostSnapshot(msg)) {
        this.rejected++;
        return;
      }
      if (msg.host !== this.self) this.latest.set(msg.host, { snapshot: msg, at: Date.now() });
    });
  }

  /** Resolves once every endpoint of this host routes the topic to it. */
  get ready(): Promise<void> {
    return this.off.ready;
  }

  /** The other hosts' snapshots, by host name; stale ones are forgotten here. */
  hosts(now = Date.now()): HostSnapshot[] {
    const out: HostSnapshot[] = [];
    for (const [host, { snapshot, at }] of this.latest) {
      if (now - at > HOST_SNAPSHOT_MAX_AGE_MS) this.latest.delete(host);
      else out.push(snapshot);
    }
    return out.sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  }

  close(): void {
    this.off();
  }
}

/** Enough of the shape to show it and make metrics of it; a host of another version may add fields. */
function isHostSnapshot(m: unknown): m is HostSnapshot {
  if (typeof m !== 'object' || m === null) return false;
  const s = m as Partial<HostSnapshot>;
  return (
    typeof s.host === 'string' &&
    typeof s.ts === 'number' &&
    Array.isArray(s.engines) &&
    s.engines.every((e) => typeof e === 'object' && e !== null && typeof e.name === 'string') &&
    Array.isArray(s.tree) &&
    typeof s.caches === 'object' &&
    s.caches !== null &&
    typeof s.kernels === 'object' &&
    s.kernels !== null
  );
}
