// What the gateway tells about a host, as plain JSON: its engines, its supervision tree, its caches,
// its kernels and its bus, all from one system.stats() call (shared memory, no actor asked). The
// same shape travels between hosts (hostsTopic), feeds /metrics, and is what the dashboard draws.
import { round, type ActorStats } from '../runtime/stats.js';
import type { System, SystemStats } from '../runtime/system.js';
import { treeOf, type TreeNode } from './tree.js';

export type { TreeNode };

/** One engine (actor) of one host. */
export interface EngineView {
  host: string;
  name: string;
  /** Its place in the supervision tree ('desk/signals/vpin'; spawned actors: '$spawned/<name>'). */
  path: string;
  state: ActorStats['state'];
  restarts: number;
  /** Share of its life spent running, in percent. */
  uptimePct: number;
  /** Time since its current worker started; 0 while down. */
  uptimeMs: number;
  /** Mean time from a failure to running again; null before the first recovery. */
  mttrMs: number | null;
  messagesPerSec: number;
  received: number;
  sent: number;
  asksSent: number;
  repliesReceived: number;
  errors: number;
  /** Messages taken out after failing maxDeliveries times. */
  deadLetters: number;
  /** Sends refused because its mailbox was full. */
  overflows: number;
  mailboxDepth: number;
  highWater: number;
  mailboxBytesUsed: number;
  /** Send to start of handling, sampled, in microseconds. */
  latencyUs: { samples: number; p50: number; p99: number; p999: number; max: number };
  /** Milliseconds spent handling messages, in all. */
  handlerMs: number;
  restartsVia: ActorStats['restartsVia'];
  standby: ActorStats['standby'];
  /** The worker thread it runs in; null while it has none. */
  threadId: number | null;
}

export interface CacheView {
  hitRate: number;
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
  maxBytes: number;
  maxEntries: number;
  evictions: number;
  expirations: number;
  resets: number;
}

/** Percentiles in milliseconds (the pool measures microseconds, in ~9%-wide buckets). */
export interface MsPercentiles {
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** One kernel on one backend. */
export interface KernelBackendView {
  calls: number;
  errors: number;
  /** Calls an actor made over its lane, straight to a pool thread. */
  direct: number;
  /** Bytes structured-cloned to and from the pool (0 is the goal). */
  bytesCopied: number;
  runMs: MsPercentiles;
  queueMs: MsPercentiles;
}

export interface KernelView {
  calls: number;
  errors: number;
  /** Which backends ran it, and how: `backends.native.runMs.p99`. */
  backends: Record<string, KernelBackendView>;
}

export interface KernelsView {
  threads: number;
  queued: number;
  kernels: Record<string, KernelView>;
}

/** One host as the gateway shows it. */
export interface HostSnapshot {
  host: string;
  /** When it was taken (ms since the epoch, by that host's clock). */
  ts: number;
  engines: EngineView[];
  tree: TreeNode[];
  caches: Record<string, CacheView>;
  kernels: KernelsView;
  /** The bridge's counters (see README "The dual Redis bus"); null without a bus. */
  bus: (NonNullable<SystemStats['bus']> & Record<string, number>) | null;
}

/** GET /snapshot and the `$snapshot` stream: this host first, then the others heard from. */
export interface Snapshot {
  ts: number;
  hosts: HostSnapshot[];
}

/** This host's snapshot, from one `system.stats()`. */
export function hostSnapshot(system: System): HostSnapshot {
  return snapshotOf(system.stats(), Date.now());
}

export function snapshotOf(stats: SystemStats, ts: number): HostSnapshot {
  const engines = Object.entries(stats.actors).map(([name, a]) => engineView(stats.system, name, a));
  return {
    host: stats.system,
    ts,
    engines,
    tree: treeOf(engines),
    caches: Object.fromEntries(Object.entries(stats.caches).map(([name, c]) => [name, cacheView(c)])),
    kernels: kernelsView(stats.kernels),
    bus: stats.bus === undefined ? null : { ...stats.bus },
  };
}

export function engineView(host: string, name: string, a: ActorStats): EngineView {
  return {
    host,
    name,
    path: a.path,
    state: a.state,
    restarts: a.restarts,
    uptimePct: a.uptimePct,
    uptimeMs: a.uptimeMs,
    mttrMs: a.mttrMs ?? null,
    messagesPerSec: a.messagesPerSec,
    received: a.received,
    sent: a.sent,
    asksSent: a.asksSent,
    repliesReceived: a.repliesReceived,
    errors: a.errors,
    deadLetters: a.deadLetters,
    overflows: a.overflows,
    mailboxDepth: a.mailboxDepth,
    highWater: a.highWater,
    mailboxBytesUsed: a.mailboxBytesUsed,
    latencyUs: { ...a.latencyUs },
    handlerMs: a.handlerMs,
    restartsVia: { ...a.restartsVia },
    standby: a.standby,
    threadId: a.threadId ?? null,
  };
}

function cacheView(c: SystemStats['caches'][string]): CacheView {
  return {
    hitRate: c.hitRate,
    hits: c.hits,
    misses: c.misses,
    entries: c.entries,
    bytes: c.bytes,
    maxBytes: c.maxBytes,
    maxEntries: c.maxEntries,
    evictions: c.evictions,
    expirations: c.expirations,
    resets: c.resets,
  };
}

function kernelsView(k: SystemStats['kernels']): KernelsView {
  const kernels: Record<string, KernelView> = {};
  for (const [kernel, byBackend] of Object.entries(k.kernels)) {
    const view: KernelView = { calls: 0, errors: 0, backends: {} };
    for (const [backend, s] of Object.entries(byBackend)) {
      if (s === undefined) continue;
      view.calls += s.calls;
      view.errors += s.errors;
      view.backends[backend] = { calls: s.calls, errors: s.errors, direct: s.direct, bytesCopied: s.bytesCopied, runMs: toMs(s.runUs), queueMs: toMs(s.queueUs) };
    }
    kernels[kernel] = view;
  }
  return { threads: k.threads, queued: k.queued, kernels };
}

function toMs(us: MsPercentiles): MsPercentiles {
  // The microseconds have two decimals: five keep them all, without float noise.
  return { p50: round(us.p50 / 1000, 5), p99: round(us.p99 / 1000, 5), p999: round(us.p999 / 1000, 5), max: round(us.max / 1000, 5) };
}
