/**
 * What `dualbus top` shows, folded from a system's JSON log lines (lifecycle events and periodic
 * 'stats' lines) or from snapshots a running system serves. Pure: no I/O, no clock of its own.
 */

export interface TopRow {
  path: string;
  actor: string;
  state: string;
  restarts: number;
  /** Time in the current run, ms (0 while down). */
  uptimeMs: number;
  /** Share of its life spent running, %. */
  availabilityPct: number;
  mailboxDepth: number | undefined;
  messagesPerSec: number | undefined;
  p99Us: number | undefined;
  deadLetters: number;
}

interface ActorTrack {
  path: string;
  state: string;
  restarts: number;
  firstStart: number | undefined;
  runningSince: number | undefined;
  upMs: number;
  deadLetters: number;
  mailboxDepth?: number;
  messagesPerSec?: number;
  p99Us?: number;
  /** Availability and uptime as a running system last reported them (a 'stats' line or a snapshot). */
  reported?: { at: number; uptimePct: number; uptimeMs: number };
}

/** The per-actor stats a system reports (the fields top uses). */
export interface ReportedStats {
  state: string;
  path: string;
  restarts: number;
  uptimeMs: number;
  uptimePct: number;
  mailboxDepth: number;
  messagesPerSec: number;
  deadLetters: number;
  latencyUs: { p99: number };
}

/** Per kernel and backend, the figures top shows (a subset of the system's KernelCallStats). */
export type ReportedKernels = Record<string, Record<string, { calls: number; errors: number; bytesCopied: number; queueUs: { p99: number }; runUs: { p50: number; p99: number } }>>;

/** Per cache, the figures top shows (CacheStats). */
export type ReportedCaches = Record<string, { hitRate: number; hits: number; misses: number; entries: number; bytes: number; maxBytes: number; evictions: number; expirations: number }>;

export class TopModel {
  system: string | undefined;
  /** The host's caches, as last reported. */
  caches: ReportedCaches | undefined;
  /** The kernel pool's figures, as last reported. */
  kernels: ReportedKernels | undefined;
  /** The time of the latest line seen (epoch ms): "now" for a log that is no longer written. */
  lastTime = 0;
  failure: string | undefined;
  private readonly actors = new Map<string, ActorTrack>();
  private readonly escalated = new Set<string>();

  /** Folds one parsed log line in; lines that are not dualbus's are ignored. */
  apply(line: Record<string, unknown>): void {
    const time = typeof line.time === 'number' ? line.time : undefined;
    if (time !== undefined) this.lastTime = Math.max(this.lastTime, time);
    if (typeof line.system === 'string') this.system ??= line.system;
    const event = line.event;
    if (event === 'stats' && typeof line.actors === 'object' && line.actors !== null) {
      this.applyStats(line.actors as Record<string, ReportedStats>, time ?? this.lastTime, line.kernels as ReportedKernels | undefined, line.caches as ReportedCaches | undefined);
      return;
    }
    if (event === 'system-failed') this.failure = reasonOf(line);
    if (event === 'escalated' && typeof line.path === 'string') this.escalated.add(line.path);
    const actor = line.actor;
    const path = line.path;
    if (typeof actor !== 'string' || typeof path !== 'string' || time === undefined || event === 'escalated') return;
    const a = this.track(actor, path);
    switch (event) {
      case 'started':
      case 'restarted':
        a.state = 'running';
        a.firstStart ??= time;
        a.runningSince = time;
        if (event === 'restarted' && typeof line.restarts === 'number') a.restarts = line.restarts;
        break;
      case 'failed':
      case 'stopped':
        if (a.runningSince !== undefined) a.upMs += time - a.runningSince;
        a.runningSince = undefined;
        a.state = event;
        break;
      case 'restarting':
        if (a.state !== 'running') a.state = 'restarting';
        break;
      case 'hang':
        a.state = 'hung';
        break;
      case 'dead-letter':
        a.deadLetters++;
        break;
    }
    a.reported = undefined; // an event is newer than any stats line before it
  }

  /** Folds in a snapshot of a running system's stats (what `--connect` receives). */
  applyStats(actors: Record<string, ReportedStats>, at: number, kernels?: ReportedKernels, caches?: ReportedCaches): void {
    this.lastTime = Math.max(this.lastTime, at);
    if (kernels !== undefined) this.kernels = kernels;
    if (caches !== undefined) this.caches = caches;
    for (const [name, s] of Object.entries(actors)) {
      const a = this.track(name, s.path);
      a.state = s.state;
      a.restarts = s.restarts;
      a.deadLetters = s.deadLetters;
      a.mailboxDepth = s.mailboxDepth;
      a.messagesPerSec = s.messagesPerSec;
      a.p99Us = s.latencyUs.p99;
      a.reported = { at, uptimePct: s.uptimePct, uptimeMs: s.uptimeMs };
    }
  }

  rows(now: number): TopRow[] {
    const rows: TopRow[] = [];
    for (const [actor, a] of this.actors) {
      const fromEvents = this.availability(a, now);
      const r = a.reported;
      rows.push({
        path: a.path,
        actor,
        state: a.state,
        restarts: a.restarts,
        uptimeMs: r !== undefined ? r.uptimeMs + (a.state === 'running' ? now - r.at : 0) : fromEvents.uptimeMs,
        availabilityPct: r !== undefined ? r.uptimePct : fromEvents.pct,
        mailboxDepth: a.mailboxDepth,
        messagesPerSec: a.messagesPerSec,
        p99Us: a.p99Us,
        deadLetters: a.deadLetters,
      });
    }
    return rows.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  }

  supervisorState(path: string): string {
    return this.escalated.has(path) ? 'escalated' : 'supervising';
  }

  private availability(a: ActorTrack, now: number): { uptimeMs: number; pct: number } {
    const current = a.runningSince !== undefined ? Math.max(0, now - a.runningSince) : 0;
    const life = a.firstStart === undefined ? 0 : now - a.firstStart;
    return { uptimeMs: current, pct: life > 0 ? Math.min(100, (100 * (a.upMs + current)) / life) : a.runningSince !== undefined ? 100 : 0 };
  }

  private track(actor: string, path: string): ActorTrack {
    let a = this.actors.get(actor);
    if (a === undefined) {
      a = { path, state: 'starting', restarts: 0, firstStart: undefined, runningSince: undefined, upMs: 0, deadLetters: 0 };
      this.actors.set(actor, a);
    }
    a.path = path;
    return a;
  }
}

function reasonOf(line: Record<string, unknown>): string | undefined {
  const r = line.reason as { message?: unknown } | undefined;
  return typeof r?.message === 'string' ? r.message : undefined;
}
