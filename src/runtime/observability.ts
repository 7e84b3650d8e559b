import type { CacheRegistry } from '../cache/registry.js';
import type { CacheStats } from '../cache/shared-cache.js';
import type { KernelPool } from '../kernels/pool.js';
import { createServer, type Server } from 'node:net';
import type { Logger } from 'pino';
import type { Endpoint } from '../transport/endpoint/endpoint.js';
import { InvalidOption } from '../transport/errors.js';
import { HOST_NAME, type ControlFromWorker, type SerializedError } from '../transport/protocol.js';
import type { BridgeCounters } from '../transport/redis/bridge.js';
import { STAT_RECEIVED } from '../transport/ring/layout.js';
import type { ActorCell } from './actor-cell.js';
import type { LifecycleLog } from './lifecycle-log.js';
import { RateMeter } from './rates.js';
import { readCounters, readStats, round, type ActorStats } from './stats.js';
import type { Supervision } from './supervision.js';
import type { SystemDirectory } from './system-directory.js';
import type { WarmPoolCounts, WarmPools } from './warm-pool.js';
import { Watchdog } from './watchdog.js';

/** How often the watchdog and the rate meter look at the actors. */
const MONITOR_TICK_MS = 25;

export interface SystemStats {
  system: string;
  actors: Record<string, ActorStats>;
  host: Pick<ActorStats, 'received' | 'sent' | 'asksSent' | 'repliesReceived' | 'mailboxDepth' | 'overflows'> & { pendingAsks: number };
  /** With a bus: what the bridge sent, received, dropped (market data) and rejected. */
  bus?: BridgeCounters & { remoteActors: number; mailboxDepth: number };
  /** The kernel pool: threads, queue, and per kernel and backend calls, queue wait, run time, bytes copied, errors. */
  kernels: ReturnType<KernelPool['stats']>;
  /** Per cache: hits, misses, hit rate, evictions, expirations, entries, bytes. */
  caches: Record<string, CacheStats>;
  /** The shared warm pool(s): workers kept (size), ready and loading now, taken and started so far. */
  warmWorkers: WarmPoolCounts & { pools: number };
}

export interface ActorEvent {
  actor: string;
  event: string;
  error?: SerializedError;
  detail?: Record<string, unknown>;
}

export interface ObservabilityDeps {
  name: string;
  logger: Logger;
  log: LifecycleLog;
  host: Endpoint;
  directory: SystemDirectory;
  supervision: Supervision;
  warm: WarmPools;
  statsLogIntervalMs: number;
  kernels: KernelPool;
  caches: CacheRegistry;
  /** An actor event was logged; the system emits it. */
  emit(e: ActorEvent): void;
}

/**
 * What a system tells about itself: `stats()` read from shared memory without asking the actors,
 * the monitor tick (hang watchdog, message rates, periodic stats lines), the stats server for
 * `dualbus top --connect`, and the log lines of actor events.
 */
export class Observability {
  private readonly watchdog: Watchdog;
  private readonly rates = new RateMeter();
  private readonly monitor: ReturnType<typeof setInterval>;
  private statsLoggedAt = performance.now();
  private readonly servers = new Set<Server>();

  constructor(private readonly deps: ObservabilityDeps) {
    this.watchdog = new Watchdog((cell, reason) => {
      const restarts = deps.supervision.nodeOf(cell)?.availability(0).restarts ?? 0;
      deps.log.write({ actor: cell.name, path: cell.path, event: 'hang', reason, restarts });
      cell.kill(reason, true);
    });
    this.monitor = setInterval(() => this.tick(), MONITOR_TICK_MS);
    this.monitor.unref();
  }

  /**
   * Per actor: supervision state, path, restarts, availability, dead letters, counts, mailbox
   * depth and high-water mark, errors, handler time, msg/s, latency percentiles.
   */
  stats(): SystemStats {
    const { directory, supervision, host } = this.deps;
    const now = performance.now();
    const actors: Record<string, ActorStats> = {};
    for (const cell of directory.cells.values()) {
      const node = supervision.nodeOf(cell);
      const a = node?.availability(now);
      actors[cell.name] = readStats(cell.mailbox, {
        state: node?.state() ?? 'starting',
        path: cell.path,
        messagesPerSec: this.rates.rate(cell.name),
        uptimeMs: Math.round(a?.uptimeMs ?? 0),
        restarts: a?.restarts ?? 0,
        uptimePct: round(a?.uptimePct ?? 0, 3),
        mttrMs: a?.mttrMs === undefined ? undefined : round(a.mttrMs, 3),
        deadLetters: cell.deadLetters,
        standby: cell.standbyState(),
        restartsVia: { ...cell.restartsVia },
        threadId: cell.threadId(),
      });
    }
    const h = readCounters(host.own);
    const bus = directory.bus;
    return {
      system: this.deps.name,
      actors,
      host: { received: h.received, sent: h.sent, asksSent: h.asksSent, repliesReceived: h.repliesReceived, mailboxDepth: h.mailboxDepth, overflows: h.overflows, pendingAsks: host.pendingAsks() },
      ...(bus !== undefined ? { bus: { ...bus.counters, remoteActors: directory.remoteActors.length, mailboxDepth: bus.mailbox.messages.depth() } } : {}),
      kernels: this.deps.kernels.stats(),
      caches: this.deps.caches.stats(),
      warmWorkers: this.deps.warm.counts(),
    };
  }

  /**
   * Serves stats snapshots to `dualbus top --connect`: each connection receives one JSON document
   * ({ time, system, actors }) and is closed. `address` is a Unix socket path or a TCP port (bound
   * to 127.0.0.1). Closed by `close`, or by the returned close().
   */
  async serveStats(address: string | number): Promise<{ close(): Promise<void> }> {
    if (!(typeof address === 'string' ? address !== '' : Number.isInteger(address) && address >= 0 && address < 65536)) {
      throw new InvalidOption('address', 'a Unix socket path or a TCP port number', address);
    }
    const server = createServer((socket) => {
      socket.on('error', () => socket.destroy()); // a client that went away mid-answer
      const { actors, kernels, caches } = this.stats();
      socket.end(JSON.stringify({ time: Date.now(), system: this.deps.name, actors, kernels: kernels.kernels, caches }));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if (typeof address === 'string') server.listen(address, resolve);
      else server.listen(address, '127.0.0.1', resolve);
    });
    server.unref();
    this.servers.add(server);
    return {
      close: () => {
        this.servers.delete(server);
        return new Promise((resolve) => server.close(() => resolve()));
      },
    };
  }

  /** An event a worker reported: a stale claim is a lifecycle line, the rest are actor events. */
  workerEvent(cell: ActorCell, m: Extract<ControlFromWorker, { type: 'event' }>): void {
    if (m.event === 'stale-claim') {
      this.deps.log.write({ actor: cell.name, path: cell.path, event: 'stale-claim', ...(m.error ? { reason: m.error } : {}) });
      return;
    }
    this.actorEvent({ actor: cell.name, event: m.event, ...(m.error ? { error: m.error } : {}), ...(m.detail ? { detail: m.detail } : {}) });
  }

  /** A bad frame or a handler error of the host thread itself. */
  hostEvent(event: 'bad-frame' | 'handler-error', error: SerializedError, detail?: Record<string, unknown>): void {
    this.actorEvent({ actor: HOST_NAME, event, error, ...(detail !== undefined ? { detail } : {}) });
  }

  actorEvent(e: ActorEvent): void {
    const level = e.event === 'log-suppressed' ? 'warn' : 'error';
    this.deps.logger[level](
      { system: this.deps.name, actor: e.actor, event: e.event, reason: e.error, ...e.detail },
      `${e.actor}: ${e.event}${e.error ? `: ${e.error.message}` : ''}`,
    );
    this.deps.emit(e);
  }

  /** An actor is gone for good: its rate is forgotten. */
  forget(cell: ActorCell): void {
    this.rates.forget(cell.name);
  }

  close(): void {
    clearInterval(this.monitor);
    for (const server of this.servers) server.close();
    this.servers.clear();
  }

  private tick(): void {
    const now = performance.now();
    const cells = this.deps.directory.cells;
    this.watchdog.check(cells.values(), now);
    for (const cell of cells.values()) this.rates.sample(cell.name, cell.mailbox.stat(STAT_RECEIVED), now);
    const every = this.deps.statsLogIntervalMs;
    if (every > 0 && now - this.statsLoggedAt >= every) {
      this.statsLoggedAt = now;
      const { actors, kernels, caches } = this.stats();
      this.deps.logger.info({ system: this.deps.name, event: 'stats', actors, kernels: kernels.kernels, caches }, 'stats');
    }
  }
}
