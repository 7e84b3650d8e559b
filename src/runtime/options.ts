import { DEFAULT_COMPRESS_ABOVE } from '../transport/codec/compress.js';
import { InvalidOption } from '../transport/errors.js';
import { isPowerOfTwo, MAX_RING_BYTES, MIN_RING_BYTES } from '../transport/ring/layout.js';
import type { ErrorDirectiveName, WaitStrategyName } from '../transport/protocol.js';
import type { BackoffOptions, RestartType } from '../../supervisors/spec.js';
import type { Logger } from 'pino';
import type { BusOptions } from '../transport/redis/config.js';
import { resolveKernelOptions, type KernelPoolOptions, type ResolvedKernelOptions } from '../kernels/options.js';
import { resolveCacheOptions, type CacheOptions, type ResolvedCacheOptions } from '../cache/options.js';

export interface SystemOptions {
  /** Names this system in logs and stats. */
  name?: string;
  /** Default ask timeout, for asks that give none. */
  askTimeoutMs?: number;
  /** Payloads larger than this many bytes are lz4-compressed (when that makes them smaller). */
  compressAbove?: number;
  /** Every Nth message carries a send timestamp for the latency percentiles (1 = every message). */
  latencySampleEvery?: number;
  /**
   * How the host waits for replies: 'async' never blocks the host thread (a reply costs one
   * Atomics.waitAsync wake-up); 'spin' busy-polls the reply ring for up to hostSpinMicros first.
   */
  hostWait?: 'async' | 'spin';
  hostSpinMicros?: number;
  /** How long `stop`/`shutdown` wait for an actor to finish gracefully before terminating it. */
  stopTimeoutMs?: number;
  /** A pino logger; the default writes JSON lines to stderr at level DUALBUS_LOG_LEVEL or 'info'. */
  logger?: Logger;
  /** The default logger's output: 'json' lines, or 'pretty' (pino-pretty) for people. Default: DUALBUS_LOG_FORMAT or 'json'. */
  logFormat?: 'json' | 'pretty';
  /** A ring claim left unpublished this long is a dead producer's: the consumer skips it (and logs it). */
  staleClaimMs?: number;
  /** Every this many ms, one 'stats' log line with every actor's figures (for `dualbus top`); 0: never. */
  statsLogIntervalMs?: number;
  /** The dual Redis bus to other hosts; without it the system is embedded in this process. */
  bus?: BusOptions;
  /**
   * How many warm generic workers (thread started, worker code and package loaded, no actor module)
   * the system keeps for actors whose worker dies (`standby: 'shared'`, the default); one taken is
   * replaced at once. 0: none (a worker death is a cold start). One pool per distinct resourceLimits.
   */
  warmWorkers?: number;
  /** The heavy-kernel pool (`system.kernels`, `ctx.kernels`): threads, queue, backends, user kernel modules. */
  kernels?: KernelPoolOptions;
  /**
   * The host's caches (`system.cache(name)`, `ctx.cache(name)`), each in shared memory with its own
   * budget; `default` exists without configuration (16 MiB).
   */
  caches?: Record<string, CacheOptions>;
}

export interface SpawnOptions {
  /** How the actor waits for messages: 'spin', 'block' (Atomics.wait) or 'async' (Atomics.waitAsync). */
  wait?: WaitStrategyName;
  /** Bytes of the message ring: a power of two; a message may take up to half of it. */
  mailboxBytes?: number;
  /** Bytes of the ring that receives replies to this actor's asks. */
  repliesBytes?: number;
  /** With 'throw', a send to this full mailbox throws MailboxFull instead of returning false. */
  onFull?: 'return-false' | 'throw';
  /** How long to poll for more messages after the last one before parking ('block' and 'async'). */
  spinMicros?: number;
  /** The longest single park: a 'block' actor's timers run at most this late. */
  parkTimeoutMs?: number;
  /** Worker memory limits, passed to the Worker. */
  resourceLimits?: { maxOldGenerationSizeMb?: number; maxYoungGenerationSizeMb?: number; stackSizeMb?: number };
}

/** How a child (or a spawned actor) is supervised. */
export interface SupervisionOptions {
  /** 'permanent' (always restarted), 'transient' (restarted after a failure only), 'temporary' (never). */
  restart?: RestartType;
  /** What a receive that throws does: 'resume' (skip the message), 'restart', 'stop', 'escalate'. */
  onError?: ErrorDirectiveName;
  /** A message in hand at this many failures goes to the dead-letter queue instead of back to the actor. */
  maxDeliveries?: number;
  /** Restart delay: exponential from minMs to maxMs, the top `jitter` share random. */
  backoff?: Partial<BackoffOptions>;
  /** No heartbeat for this long while messages wait: the actor is hung, and is terminated and restarted. */
  hangTimeoutMs?: number;
  /** A graceful stop gets this long before the worker is terminated (default: the system's stopTimeoutMs). */
  shutdownTimeoutMs?: number;
  /** A start whose init (or restore) has not finished after this long fails (SpawnFailed), and the worker is terminated. */
  startTimeoutMs?: number;
  /**
   * What replaces this actor's worker when the worker dies (exit, memory, hang), so that the
   * restart takes milliseconds, not a thread start: 'shared' (a warm worker of the system's shared
   * pool: see `warmWorkers`), 'own' (a worker of its own, its module loaded: the fastest, one idle
   * thread per actor), or false (a new thread: a cold start). `true` means 'shared'.
   */
  standby?: 'shared' | 'own' | boolean;
  /**
   * A failure of the actor's own code (a receive that throws with onError 'restart', 'stop' or
   * 'escalate', an uncaught exception, an unhandled rejection) restarts it inside its worker, which
   * is kept: its timers are cleared and its pending asks and kernel calls abandoned. false: such a
   * failure ends the worker, and the restart takes another (for an actor that keeps module-level
   * state or resources of its own that an in-place restart would not release).
   */
  restartInPlace?: boolean;
  /** The least time between two idle snapshots (see defineActor's snapshot). */
  snapshotIntervalMs?: number;
}

export type ChildOptions = SpawnOptions & SupervisionOptions;

export const SYSTEM_DEFAULTS = Object.freeze({
  name: 'dualbus',
  askTimeoutMs: 5_000,
  compressAbove: DEFAULT_COMPRESS_ABOVE,
  latencySampleEvery: 16,
  hostWait: 'async' as 'async' | 'spin',
  hostSpinMicros: 200,
  stopTimeoutMs: 5_000,
  staleClaimMs: 1_000,
  statsLogIntervalMs: 0,
  warmWorkers: 2,
  logFormat: (process.env.DUALBUS_LOG_FORMAT === 'pretty' ? 'pretty' : 'json') as 'json' | 'pretty',
});

export const SPAWN_DEFAULTS = Object.freeze({
  wait: 'async' as WaitStrategyName,
  mailboxBytes: 1 << 20,
  repliesBytes: 1 << 16,
  onFull: 'return-false' as 'return-false' | 'throw',
  spinMicros: 50,
  parkTimeoutMs: 500,
});

export const SUPERVISION_DEFAULTS = Object.freeze({
  maxDeliveries: 3,
  hangTimeoutMs: 5_000,
  startTimeoutMs: 10_000,
  standby: 'shared' as 'shared' | 'own' | false,
  restartInPlace: true,
  snapshotIntervalMs: 100,
});

export type ResolvedSystemOptions = Required<Omit<SystemOptions, 'logger' | 'bus' | 'kernels' | 'caches'>> & { logger?: Logger; bus?: BusOptions; kernels: ResolvedKernelOptions; caches: Record<string, ResolvedCacheOptions> };
export type ResolvedSpawnOptions = Required<Omit<SpawnOptions, 'resourceLimits'>> & Pick<SpawnOptions, 'resourceLimits'>;
/** What the runtime's mechanism needs (the policy half goes to the supervisor machine). */
export type ResolvedSupervision = Omit<typeof SUPERVISION_DEFAULTS, 'standby'> & {
  standby: 'shared' | 'own' | 'none';
  shutdownTimeoutMs: number;
  onError: ErrorDirectiveName;
};

const SYSTEM_KEYS = new Set(['name', 'askTimeoutMs', 'compressAbove', 'latencySampleEvery', 'hostWait', 'hostSpinMicros', 'stopTimeoutMs', 'logger', 'staleClaimMs', 'statsLogIntervalMs', 'logFormat', 'warmWorkers', 'bus', 'kernels', 'caches']);
const SPAWN_KEYS = new Set(['wait', 'mailboxBytes', 'repliesBytes', 'onFull', 'spinMicros', 'parkTimeoutMs', 'resourceLimits']);
const SUPERVISION_KEYS = new Set(['restart', 'onError', 'maxDeliveries', 'backoff', 'hangTimeoutMs', 'shutdownTimeoutMs', 'startTimeoutMs', 'standby', 'restartInPlace', 'snapshotIntervalMs']);

export function resolveSystemOptions(given: SystemOptions | undefined): ResolvedSystemOptions {
  const o = { ...SYSTEM_DEFAULTS, ...checkObject('createSystem options', given, SYSTEM_KEYS) } as ResolvedSystemOptions;
  if (typeof o.name !== 'string' || o.name === '') throw new InvalidOption('name', 'a non-empty string', o.name);
  positive('askTimeoutMs', o.askTimeoutMs);
  nonNegative('compressAbove', o.compressAbove);
  positiveInteger('latencySampleEvery', o.latencySampleEvery);
  oneOf('hostWait', o.hostWait, ['async', 'spin']);
  nonNegative('hostSpinMicros', o.hostSpinMicros);
  positive('stopTimeoutMs', o.stopTimeoutMs);
  positive('staleClaimMs', o.staleClaimMs);
  nonNegative('statsLogIntervalMs', o.statsLogIntervalMs);
  oneOf('logFormat', o.logFormat, ['json', 'pretty']);
  if (!(typeof o.warmWorkers === 'number' && Number.isInteger(o.warmWorkers) && o.warmWorkers >= 0 && o.warmWorkers <= 64)) {
    throw new InvalidOption('warmWorkers', 'an integer from 0 to 64', o.warmWorkers);
  }
  o.kernels = resolveKernelOptions(given?.kernels);
  o.caches = resolveCacheOptions(given?.caches);
  return o;
}

/** Splits child options into how to spawn it and how to supervise it, each checked. */
export function splitChildOptions(
  given: ChildOptions | undefined,
  stopTimeoutMs: number,
): { spawn: ResolvedSpawnOptions; supervision: ResolvedSupervision; policy: Pick<SupervisionOptions, 'restart' | 'onError' | 'backoff'> } {
  const all = checkObject('child options', given, new Set([...SPAWN_KEYS, ...SUPERVISION_KEYS])) as ChildOptions;
  const spawnPart: Record<string, unknown> = {};
  const supPart: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(all)) (SPAWN_KEYS.has(k) ? spawnPart : supPart)[k] = v;
  const sup = { ...SUPERVISION_DEFAULTS, shutdownTimeoutMs: stopTimeoutMs, onError: 'resume', ...supPart } as Omit<ResolvedSupervision, 'standby'> & { standby: unknown } & SupervisionOptions;
  positiveInteger('maxDeliveries', sup.maxDeliveries);
  positive('hangTimeoutMs', sup.hangTimeoutMs);
  positive('shutdownTimeoutMs', sup.shutdownTimeoutMs);
  positive('startTimeoutMs', sup.startTimeoutMs);
  nonNegative('snapshotIntervalMs', sup.snapshotIntervalMs);
  const standbyGiven = sup.standby as unknown;
  const standby = standbyGiven === true || standbyGiven === 'shared' ? 'shared' : standbyGiven === false ? 'none' : standbyGiven === 'own' ? 'own' : undefined;
  if (standby === undefined) throw new InvalidOption('standby', "'shared', 'own' or false (true means 'shared')", standbyGiven);
  if (typeof sup.restartInPlace !== 'boolean') throw new InvalidOption('restartInPlace', 'a boolean', sup.restartInPlace);
  oneOf('onError', sup.onError, ['restart', 'resume', 'stop', 'escalate']);
  return {
    spawn: resolveSpawnOptions(spawnPart as SpawnOptions),
    supervision: {
      maxDeliveries: sup.maxDeliveries,
      hangTimeoutMs: sup.hangTimeoutMs,
      shutdownTimeoutMs: sup.shutdownTimeoutMs,
      startTimeoutMs: sup.startTimeoutMs,
      standby,
      restartInPlace: sup.restartInPlace,
      snapshotIntervalMs: sup.snapshotIntervalMs,
      onError: sup.onError,
    },
    policy: { ...(sup.restart !== undefined ? { restart: sup.restart } : {}), onError: sup.onError, ...(sup.backoff !== undefined ? { backoff: sup.backoff } : {}) },
  };
}

export function resolveSpawnOptions(given: SpawnOptions | undefined): ResolvedSpawnOptions {
  const o = { ...SPAWN_DEFAULTS, ...checkObject('spawn options', given, SPAWN_KEYS) } as ResolvedSpawnOptions;
  oneOf('wait', o.wait, ['spin', 'block', 'async']);
  ringBytes('mailboxBytes', o.mailboxBytes);
  ringBytes('repliesBytes', o.repliesBytes);
  oneOf('onFull', o.onFull, ['return-false', 'throw']);
  nonNegative('spinMicros', o.spinMicros);
  positive('parkTimeoutMs', o.parkTimeoutMs);
  if (o.resourceLimits !== undefined && (typeof o.resourceLimits !== 'object' || o.resourceLimits === null)) {
    throw new InvalidOption('resourceLimits', 'an object', o.resourceLimits);
  }
  return o;
}

function checkObject<T extends object>(what: string, given: T | undefined, keys: Set<string>): Partial<T> {
  if (given === undefined) return {};
  if (typeof given !== 'object' || given === null) throw new InvalidOption(what, 'an object', given);
  for (const k of Object.keys(given)) {
    if (!keys.has(k)) throw new InvalidOption(`${what}.${k}`, `one of the known options (${[...keys].join(', ')})`, k);
  }
  // Explicit undefined means "the default".
  return Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function positive(name: string, v: unknown): void {
  if (!(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw new InvalidOption(name, 'a positive finite number', v);
}

function nonNegative(name: string, v: unknown): void {
  if (!(typeof v === 'number' && v >= 0 && Number.isFinite(v))) throw new InvalidOption(name, 'a finite number >= 0', v);
}

function positiveInteger(name: string, v: unknown): void {
  if (!(typeof v === 'number' && Number.isInteger(v) && v > 0)) throw new InvalidOption(name, 'a positive integer', v);
}

function oneOf(name: string, v: unknown, allowed: readonly string[]): void {
  if (!allowed.includes(v as string)) throw new InvalidOption(name, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, v);
}

function ringBytes(name: string, v: unknown): void {
  if (!(typeof v === 'number' && isPowerOfTwo(v) && v >= MIN_RING_BYTES && v <= MAX_RING_BYTES)) {
    throw new InvalidOption(name, `a power of two from ${MIN_RING_BYTES} to ${MAX_RING_BYTES}`, v);
  }
}
