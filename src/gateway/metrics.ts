// GET /metrics: Prometheus text, from a Registry of the gateway's own (never prom-client's global
// one: two gateways in a process, or the application's own metrics, must not collide), followed
// by prom-client's default process metrics. Figures are
// read at scrape time, from one snapshot per host taken for the scrape (every metric of a scrape
// agrees with every other), not kept up to date by timers.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { EngineView, HostSnapshot } from './snapshot.js';
import type { StreamCounts } from './stream.js';

type Labels = Record<string, string>;
type Emit = (labels: Labels, value: unknown) => void;
/** Emits one metric's samples from the scrape's snapshots (this host first). */
type Fill = (hosts: readonly HostSnapshot[], emit: Emit) => void;

const STATES = ['starting', 'running', 'failed', 'restarting', 'stopping', 'stopped'] as const;
const QUANTILES = [['0.5', 'p50'], ['0.99', 'p99'], ['0.999', 'p999']] as const;

/** Per actor (labels host, actor): a counter or gauge read from its EngineView. */
const ACTOR_METRICS: ReadonlyArray<[name: string, type: 'counter' | 'gauge', help: string, read: (e: EngineView) => unknown]> = [
  ['dualbus_actor_messages_received_total', 'counter', 'Messages the actor took from its mailbox', (e) => e.received],
  ['dualbus_actor_messages_sent_total', 'counter', 'Messages the actor sent (sends, asks, publishes, replies)', (e) => e.sent],
  ['dualbus_actor_asks_sent_total', 'counter', 'Asks the actor made', (e) => e.asksSent],
  ['dualbus_actor_errors_total', 'counter', 'Handler errors and bad frames of the actor', (e) => e.errors],
  ['dualbus_actor_restarts_total', 'counter', 'Restarts of the actor by its supervisor', (e) => e.restarts],
  ['dualbus_actor_dead_letters_total', 'counter', 'Messages taken out after failing the actor maxDeliveries times', (e) => e.deadLetters],
  ['dualbus_actor_mailbox_overflows_total', 'counter', 'Sends refused because the mailbox was full', (e) => e.overflows],
  ['dualbus_actor_handler_seconds_total', 'counter', 'Time spent handling messages', (e) => num(e.handlerMs) / 1e3],
  ['dualbus_actor_mailbox_depth', 'gauge', 'Messages waiting in the mailbox', (e) => e.mailboxDepth],
  ['dualbus_actor_mailbox_high_water', 'gauge', 'The most messages ever seen waiting in the mailbox', (e) => e.highWater],
  ['dualbus_actor_mailbox_bytes', 'gauge', 'Bytes of the mailbox in use', (e) => e.mailboxBytesUsed],
  ['dualbus_actor_messages_per_second', 'gauge', 'Messages handled per second, over the last second or so', (e) => e.messagesPerSec],
  ['dualbus_actor_latency_max_seconds', 'gauge', 'The longest sampled time from send to start of handling', (e) => num(e.latencyUs?.max) / 1e6],
  ['dualbus_actor_uptime_ratio', 'gauge', 'Share of its life the actor spent running (0 to 1)', (e) => num(e.uptimePct) / 100],
  ['dualbus_actor_uptime_seconds', 'gauge', 'Time since its current worker started (0 while down)', (e) => num(e.uptimeMs) / 1e3],
  ['dualbus_actor_mttr_seconds', 'gauge', 'Mean time from a failure to running again (absent before the first recovery)', (e) => (e.mttrMs == null ? undefined : e.mttrMs / 1e3)],
];

/** stats().bus (labels host): the bridge's counters, and what it holds now. */
const BUS_METRICS: ReadonlyArray<[name: string, type: 'counter' | 'gauge', key: string, help: string]> = [
  ['dualbus_bus_el_sent_total', 'counter', 'elSent', 'Engine-logic messages written to Redis'],
  ['dualbus_bus_el_received_total', 'counter', 'elReceived', 'Engine-logic messages received from Redis'],
  ['dualbus_bus_md_sent_total', 'counter', 'mdSent', 'Market-data messages published'],
  ['dualbus_bus_md_received_total', 'counter', 'mdReceived', 'Market-data messages received'],
  ['dualbus_bus_md_dropped_total', 'counter', 'mdDropped', 'Market-data messages dropped (no live subscriber host, Redis away)'],
  ['dualbus_bus_rejected_total', 'counter', 'rejected', 'Bus frames that failed to decode (rejected, dead-lettered)'],
  ['dualbus_bus_claimed_total', 'counter', 'claimed', 'Engine-logic entries taken over from a consumer that died'],
  ['dualbus_bus_undeliverable_total', 'counter', 'undeliverable', 'Engine-logic messages their actor can never take'],
  ['dualbus_bus_inflight_frames', 'gauge', 'inflightFrames', 'Engine-logic frames waiting for Redis to acknowledge them'],
  ['dualbus_bus_in_hand', 'gauge', 'inHand', "Engine-logic messages handed to this host's actors and not yet handled"],
  ['dualbus_bus_remote_actors', 'gauge', 'remoteActors', 'Actors of other hosts reachable through the bus'],
  ['dualbus_bus_mailbox_depth', 'gauge', 'mailboxDepth', "Messages waiting in the bridge's ring"],
];

/** Per cache (labels host, cache). */
const CACHE_METRICS: ReadonlyArray<[name: string, type: 'counter' | 'gauge', key: string, help: string]> = [
  ['dualbus_cache_hits_total', 'counter', 'hits', 'Cache reads that found their key'],
  ['dualbus_cache_misses_total', 'counter', 'misses', 'Cache reads that did not'],
  ['dualbus_cache_hit_ratio', 'gauge', 'hitRate', 'hits / (hits + misses), 0 before any read'],
  ['dualbus_cache_entries', 'gauge', 'entries', 'Entries in the cache'],
  ['dualbus_cache_bytes', 'gauge', 'bytes', 'Bytes of the arena blocks in use'],
  ['dualbus_cache_max_bytes', 'gauge', 'maxBytes', "The cache's byte budget"],
  ['dualbus_cache_evictions_total', 'counter', 'evictions', 'Entries evicted'],
  ['dualbus_cache_expirations_total', 'counter', 'expirations', 'Entries expired (TTL)'],
  ['dualbus_cache_resets_total', 'counter', 'resets', 'Times the cache was emptied because a thread died mid-change'],
];

/** Per kernel and backend (labels host, kernel, backend). */
const KERNEL_METRICS: ReadonlyArray<[name: string, key: 'calls' | 'errors' | 'direct' | 'bytesCopied', help: string]> = [
  ['dualbus_kernel_calls_total', 'calls', 'Kernel calls, by the backend that ran them'],
  ['dualbus_kernel_errors_total', 'errors', 'Kernel calls that failed'],
  ['dualbus_kernel_direct_calls_total', 'direct', "Kernel calls an actor made over its lane, straight to a pool thread"],
  ['dualbus_kernel_bytes_copied_total', 'bytesCopied', 'Bytes structured-cloned to and from the pool (0 is the goal)'],
];

export interface GatewayMetricsDeps {
  /** Every host to show, this one first; called once per scrape. */
  hosts(): HostSnapshot[];
  stream(): StreamCounts;
  /** This host's name (the host label of the gateway's own metrics). */
  host: string;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private scrape: readonly HostSnapshot[] = [];
  private readonly requests: Counter<'host' | 'status'>;

  constructor(private readonly deps: GatewayMetricsDeps) {
    for (const [name, type, help, read] of ACTOR_METRICS) this.family(type, name, help, ['host', 'actor'], (hosts, emit) => eachEngine(hosts, (h, e) => emit({ host: h, actor: e.name }, read(e))));
    this.family('gauge', 'dualbus_actor_latency_seconds', 'Time from send to start of handling, sampled (upper bounds of ~9%-wide buckets)', ['host', 'actor', 'quantile'], (hosts, emit) =>
      eachEngine(hosts, (h, e) => QUANTILES.forEach(([q, k]) => emit({ host: h, actor: e.name, quantile: q }, num(e.latencyUs?.[k]) / 1e6))),
    );
    this.family('gauge', 'dualbus_actor_state', 'The supervision state of the actor: 1 for the current one', ['host', 'actor', 'state'], (hosts, emit) =>
      eachEngine(hosts, (h, e) => STATES.forEach((s) => emit({ host: h, actor: e.name, state: s }, e.state === s ? 1 : 0))),
    );
    this.family('counter', 'dualbus_actor_restarts_via_total', 'Restarts of the actor by where its worker came from (in-place, warm, warming, standby, cold)', ['host', 'actor', 'via'], (hosts, emit) =>
      eachEngine(hosts, (h, e) => Object.entries(e.restartsVia ?? {}).forEach(([via, n]) => emit({ host: h, actor: e.name, via }, n))),
    );
    for (const [name, type, key, help] of BUS_METRICS) {
      this.family(type, name, help, ['host'], (hosts, emit) => hosts.forEach((h) => h.bus != null && emit({ host: h.host }, (h.bus as Record<string, unknown>)[key])));
    }
    for (const [name, type, key, help] of CACHE_METRICS) {
      this.family(type, name, help, ['host', 'cache'], (hosts, emit) =>
        hosts.forEach((h) => Object.entries(h.caches ?? {}).forEach(([cache, c]) => emit({ host: h.host, cache }, (c as unknown as Record<string, unknown>)[key]))),
      );
    }
    for (const [name, key, help] of KERNEL_METRICS) {
      this.family('counter', name, help, ['host', 'kernel', 'backend'], (hosts, emit) => eachBackend(hosts, (host, kernel, backend, b) => emit({ host, kernel, backend }, b[key])));
    }
    for (const [what, key] of [['run', 'runMs'], ['queue', 'queueMs']] as const) {
      this.family('gauge', `dualbus_kernel_${what}_seconds`, `Kernel ${what === 'run' ? 'run time in its pool thread' : 'wait from the call until a pool thread began it'}`, ['host', 'kernel', 'backend', 'quantile'], (hosts, emit) =>
        eachBackend(hosts, (host, kernel, backend, b) => QUANTILES.forEach(([q, k]) => emit({ host, kernel, backend, quantile: q }, num(b[key]?.[k]) / 1e3))),
      );
    }
    this.family('gauge', 'dualbus_kernel_pool_threads', 'Threads of the kernel pool', ['host'], (hosts, emit) => hosts.forEach((h) => emit({ host: h.host }, h.kernels?.threads)));
    this.family('gauge', 'dualbus_kernel_queued', 'Kernel calls waiting for a pool thread', ['host'], (hosts, emit) => hosts.forEach((h) => emit({ host: h.host }, h.kernels?.queued)));
    this.family('gauge', 'dualbus_gateway_hosts', 'Hosts this gateway shows (itself and those heard from in the last 5 s)', [], (hosts, emit) => emit({}, hosts.length));
    const own = (read: (s: StreamCounts) => number): Fill => (_hosts, emit) => emit({ host: deps.host }, read(deps.stream()));
    this.family('gauge', 'dualbus_gateway_ws_clients', 'WebSocket clients connected to /stream', ['host'], own((s) => s.clients));
    this.family('counter', 'dualbus_gateway_ws_messages_sent_total', 'Frames sent to WebSocket clients', ['host'], own((s) => s.sent));
    this.family('counter', 'dualbus_gateway_ws_messages_dropped_total', "Frames dropped because their client's send buffer was over maxBufferedBytes", ['host'], own((s) => s.dropped));
    this.requests = new Counter({ name: 'dualbus_gateway_http_requests_total', help: 'HTTP requests answered, by status', labelNames: ['host', 'status'], registers: [this.registry] });
  }

  /** A response went out. */
  countRequest(status: number): void {
    this.requests.inc({ host: this.deps.host, status: String(status) });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text, every figure from one snapshot per host. */
  async text(): Promise<string> {
    this.scrape = this.deps.hosts();
    try {
      // Two expositions one after the other are one exposition: their metric names differ.
      return `${await this.registry.metrics()}\n${await processMetrics().metrics()}`;
    } finally {
      this.scrape = [];
    }
  }

  /** A metric whose samples are made afresh at each scrape. */
  private family(type: 'counter' | 'gauge', name: string, help: string, labelNames: string[], fill: Fill): void {
    const scrape = (): readonly HostSnapshot[] => this.scrape;
    // Figures from another host (or another version of it) may be missing: those are left out, not made 0.
    const ok = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && (type === 'gauge' || v >= 0);
    if (type === 'counter') {
      new Counter({ name, help, labelNames, registers: [this.registry], collect() {
        this.reset();
        fill(scrape(), (labels, v) => ok(v) && this.inc(labels, v));
      } });
    } else {
      new Gauge({ name, help, labelNames, registers: [this.registry], collect() {
        this.reset();
        fill(scrape(), (labels, v) => ok(v) && this.set(labels, v));
      } });
    }
  }
}

let processRegistry: Registry | undefined;

/**
 * prom-client's default metrics (process_*, nodejs_*), one set per process: its collectors start an
 * event-loop delay monitor and a GC observer that are never stopped, so a registry of them per
 * gateway would leave one of each behind at every gateway closed.
 */
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

function eachEngine(hosts: readonly HostSnapshot[], f: (host: string, e: EngineView) => void): void {
  for (const h of hosts) for (const e of h.engines) f(h.host, e);
}

function eachBackend(hosts: readonly HostSnapshot[], f: (host: string, kernel: string, backend: string, b: HostSnapshot['kernels']['kernels'][string]['backends'][string]) => void): void {
  for (const h of hosts) {
    for (const [kernel, k] of Object.entries(h.kernels?.kernels ?? {})) for (const [backend, b] of Object.entries(k.backends ?? {})) f(h.host, kernel, backend, b);
  }
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : NaN;
}
