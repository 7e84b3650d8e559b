// The gateway's options: what they mean, their defaults (one frozen object), and the check at the
// public boundary that names a wrong option, what it expects and what it was given.
import type { Logger } from 'pino';
import { InvalidOption } from '../transport/errors.js';

export interface GatewayOptions {
  /** TCP port to listen on; 0 (the default) takes any free port (read it back from `gateway.port`). */
  port?: number;
  /** Address to bind; the default serves this machine only. */
  host?: string;
  /** How often the `$snapshot` stream pattern is pushed, and (with hostsTopic) this host's snapshot published. */
  snapshotIntervalMs?: number;
  /** Bytes a WebSocket client may have waiting in its send buffer; beyond it, messages to it are dropped and counted. */
  maxBufferedBytes?: number;
  /** The largest request body taken (HTTP), and the largest WebSocket frame from a client. */
  maxBodyBytes?: number;
  /** Allows POST /engines/:name/kill (a failure drill); otherwise it answers 403. */
  drills?: boolean;
  /** The longest an HTTP ask may wait for its reply (and the default when the request gives none). */
  askTimeoutMs?: number;
  /**
   * Share host snapshots on the bus: this host's on `<hostsTopic>.<system name>` every
   * snapshotIntervalMs, and the other hosts' (`<hostsTopic>.*`) shown by /snapshot, /engines?host=all
   * and /metrics. Undefined: this host only.
   */
  hostsTopic?: string;
  /** fastify's request log: false (the default), true (fastify's own pino to stdout), or a pino logger. */
  logger?: boolean | Logger;
  /** The directory the dashboard's files are served from (default: the package's src/gateway/dashboard/). */
  dashboardDir?: string | URL;
}

/** The package's dashboard, found from the package root: this file runs as dist/src/gateway/options.js. */
export const DASHBOARD_DIR = new URL('../../../src/gateway/dashboard/', import.meta.url);

export const GATEWAY_DEFAULTS = Object.freeze({
  port: 0,
  host: '127.0.0.1',
  snapshotIntervalMs: 500,
  maxBufferedBytes: 1 << 20,
  maxBodyBytes: 64 << 10,
  drills: false,
  askTimeoutMs: 2_000,
  hostsTopic: undefined as string | undefined,
  logger: false as boolean | Logger,
  dashboardDir: DASHBOARD_DIR as string | URL,
});

/** Another host's snapshot older than this (by when it arrived here) is no longer shown: that host is presumed gone. */
export const HOST_SNAPSHOT_MAX_AGE_MS = 5_000;

export type ResolvedGatewayOptions = Omit<Required<GatewayOptions>, 'hostsTopic'> & { hostsTopic: string | undefined };

const KEYS = Object.keys(GATEWAY_DEFAULTS);

export function resolveGatewayOptions(given: GatewayOptions | undefined): ResolvedGatewayOptions {
  if (given !== undefined && (typeof given !== 'object' || given === null || Array.isArray(given))) throw new InvalidOption('gateway options', 'an object', given);
  for (const k of Object.keys(given ?? {})) {
    if (!KEYS.includes(k)) throw new InvalidOption(`gateway options.${k}`, `one of the known options (${KEYS.join(', ')})`, k);
  }
  // An option given as undefined means its default.
  const defined = Object.fromEntries(Object.entries(given ?? {}).filter(([, v]) => v !== undefined));
  const o = { ...GATEWAY_DEFAULTS, ...defined } as ResolvedGatewayOptions;
  if (!(Number.isInteger(o.port) && o.port >= 0 && o.port <= 65535)) throw new InvalidOption('port', 'an integer from 0 to 65535 (0: any free port)', o.port);
  if (typeof o.host !== 'string' || o.host === '') throw new InvalidOption('host', 'a non-empty host name or address', o.host);
  // Below 10 ms a snapshot per tick would be most of what the host thread does.
  if (!(typeof o.snapshotIntervalMs === 'number' && Number.isFinite(o.snapshotIntervalMs) && o.snapshotIntervalMs >= 10)) {
    throw new InvalidOption('snapshotIntervalMs', 'a finite number of milliseconds >= 10', o.snapshotIntervalMs);
  }
  positiveInteger('maxBufferedBytes', o.maxBufferedBytes);
  positiveInteger('maxBodyBytes', o.maxBodyBytes);
  if (typeof o.drills !== 'boolean') throw new InvalidOption('drills', 'a boolean', o.drills);
  if (!(typeof o.askTimeoutMs === 'number' && Number.isFinite(o.askTimeoutMs) && o.askTimeoutMs > 0)) {
    throw new InvalidOption('askTimeoutMs', 'a positive finite number of milliseconds', o.askTimeoutMs);
  }
  if (o.hostsTopic !== undefined) checkHostsTopic('hostsTopic', o.hostsTopic);
  const l = o.logger as unknown;
  if (!(typeof l === 'boolean' || (typeof l === 'object' && l !== null && typeof (l as Logger).info === 'function' && typeof (l as Logger).child === 'function'))) {
    throw new InvalidOption('logger', 'a boolean or a pino logger', l);
  }
  if (!((typeof o.dashboardDir === 'string' && o.dashboardDir !== '') || o.dashboardDir instanceof URL)) {
    throw new InvalidOption('dashboardDir', 'a directory path or a file: URL', o.dashboardDir);
  }
  return o;
}

/** A topic prefix for host snapshots: published under, and subscribed as `<prefix>.*`. */
export function checkHostsTopic(name: string, topic: unknown): asserts topic is string {
  if (!(typeof topic === 'string' && topic !== '' && !/[*?]/.test(topic))) throw new InvalidOption(name, 'a non-empty topic without wildcards (* or ?)', topic);
}

function positiveInteger(name: string, v: unknown): void {
  if (!(typeof v === 'number' && Number.isInteger(v) && v > 0)) throw new InvalidOption(name, 'a positive integer', v);
}
