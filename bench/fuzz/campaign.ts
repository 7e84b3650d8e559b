import { FrameError } from '../../src/transport/errors.js';
import { nonDataIn } from './inert.js';
import { mutateOnce, type MutationContext } from './mutate.js';
import { Rng } from './rng.js';
import type { FuzzTarget } from './target.js';

/** Share of inputs that are random bytes; the rest are mutations of valid encodings. */
const RANDOM_SHARE = 0.2;
/** An input whose decode takes longer than this is a hang (the watchdog of `npm run fuzz` catches the ones that never end). */
export const HANG_MS = 2000;
/** Failures kept with their input, per decoder (all are counted). */
const KEPT_FAILURES = 20;

export type FailureKind = 'other-error' | 'instantiated' | 'disturbed' | 'hang' | 'crash';

export interface FuzzFailure {
  decoder: string;
  index: number;
  kind: FailureKind;
  detail: string;
  /** The input, hex: `Campaign.inputAt(index)` makes it again, and so does decoding these bytes. */
  inputHex: string;
}

export interface FuzzCounts {
  inputs: number;
  random: number;
  mutated: number;
  /** Decoded to a value (of inert data). */
  ok: number;
  /** Rejected with a FrameError. */
  frameErrors: number;
  /** Thrown something else than a FrameError. */
  otherErrors: number;
  /** Decoded to something that is not inert data (an object the decoder constructed). */
  instantiated: number;
  /** A good input decoded wrong right after a bad one. */
  disturbed: number;
  hangs: number;
  crashes: number;
  slowestMs: number;
  slowestIndex: number;
  /** FrameError messages with their numbers taken out, and how often each came. */
  rejections: Record<string, number>;
}

export function emptyCounts(): FuzzCounts {
  return { inputs: 0, random: 0, mutated: 0, ok: 0, frameErrors: 0, otherErrors: 0, instantiated: 0, disturbed: 0, hangs: 0, crashes: 0, slowestMs: 0, slowestIndex: -1, rejections: {} };
}

/** Adds `b` into `a`. */
export function addCounts(a: FuzzCounts, b: FuzzCounts): void {
  for (const k of ['inputs', 'random', 'mutated', 'ok', 'frameErrors', 'otherErrors', 'instantiated', 'disturbed', 'hangs', 'crashes'] as const) a[k] += b[k];
  if (b.slowestMs > a.slowestMs) {
    a.slowestMs = b.slowestMs;
    a.slowestIndex = b.slowestIndex;
  }
  for (const [r, n] of Object.entries(b.rejections)) a.rejections[r] = (a.rejections[r] ?? 0) + n;
}

export function failureCount(c: FuzzCounts): number {
  return c.otherErrors + c.instantiated + c.disturbed + c.hangs + c.crashes;
}

/**
 * The inputs of one decoder for one seed: input `i` is made by its own generator (random bytes,
 * or one to eight mutations of a valid encoding), so any input can be made again on its own.
 */
export class Campaign {
  readonly pool: Uint8Array[];
  private readonly ctx: MutationContext;

  constructor(
    readonly target: FuzzTarget,
    readonly seed: number,
  ) {
    this.pool = target.seeds(seed);
    this.ctx = { pool: this.pool, lengthFields: (b) => target.lengthFields(b) };
  }

  inputAt(index: number): { bytes: Uint8Array; mutated: boolean } {
    const rng = Rng.forInput(this.seed, index);
    if (rng.chance(RANDOM_SHARE)) return { bytes: rng.bytes(randomLength(rng)), mutated: false };
    let bytes: Uint8Array = rng.pick(this.pool).slice();
    const n = rng.chance(0.75) ? rng.between(1, 2) : rng.between(3, 8);
    for (let k = 0; k < n; k++) bytes = mutateOnce(bytes, rng, this.ctx);
    if (this.target.reseal !== undefined && rng.chance(0.5)) bytes = this.target.reseal(bytes, rng, this.ctx);
    return { bytes, mutated: true };
  }

  /**
   * Decodes inputs [from, to) and judges each: a value of inert data or a FrameError passes;
   * anything else is a failure, kept with its input. `progress` hears, every `progressEvery`
   * inputs, how far the run got and its counts so far, so that a watchdog can tell which input
   * never finished and keep the counts of those that did.
   */
  run(from: number, to: number, failures: FuzzFailure[], progress?: (done: number, counts: FuzzCounts) => void, progressEvery = 1000): FuzzCounts {
    const c = emptyCounts();
    const target = this.target;
    const fail = (index: number, kind: FailureKind, detail: string, bytes: Uint8Array): void => {
      c[kind === 'other-error' ? 'otherErrors' : kind === 'instantiated' ? 'instantiated' : kind === 'disturbed' ? 'disturbed' : 'hangs']++;
      if (failures.length < KEPT_FAILURES) failures.push({ decoder: target.name, index, kind, detail, inputHex: Buffer.from(bytes).toString('hex') });
    };
    for (let i = from; i < to; i++) {
      const { bytes, mutated } = this.inputAt(i);
      c.inputs++;
      c[mutated ? 'mutated' : 'random']++;
      const t0 = performance.now();
      try {
        const value = target.decode(bytes);
        const bad = nonDataIn(value);
        if (bad === undefined) c.ok++;
        else fail(i, 'instantiated', bad, bytes);
      } catch (err) {
        if (err instanceof FrameError && err.code === 'FrameError') {
          c.frameErrors++;
          const reason = reasonOf(err.message);
          c.rejections[reason] = (c.rejections[reason] ?? 0) + 1;
          let good: boolean;
          try {
            good = target.goodStillDecodes();
          } catch {
            good = false;
          }
          if (!good) fail(i, 'disturbed', `a good input decoded wrong after this one was rejected (${err.message})`, bytes);
        } else fail(i, 'other-error', describeError(err), bytes);
      }
      const ms = performance.now() - t0;
      if (ms > c.slowestMs) {
        c.slowestMs = ms;
        c.slowestIndex = i;
      }
      if (ms > HANG_MS) fail(i, 'hang', `took ${ms.toFixed(0)} ms`, bytes);
      if (progress !== undefined && (i + 1 - from) % progressEvery === 0) progress(i + 1, c);
    }
    return c;
  }
}

/** Mostly short inputs (every header check), some long ones (native string extraction starts at 140 bytes). */
function randomLength(rng: Rng): number {
  const r = rng.below(100);
  if (r < 60) return rng.between(0, 32);
  if (r < 85) return rng.between(33, 256);
  if (r < 97) return rng.between(257, 2048);
  return rng.between(2049, 16384);
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.constructor.name}${'code' in err ? ` (code ${String(err.code)})` : ''}: ${err.message}\n${err.stack?.split('\n').slice(1, 6).join('\n') ?? ''}`;
  return `a thrown ${typeof err}: ${String(err)}`;
}

/** A FrameError message with its numbers and quoted parts taken out, to count alike reasons together. */
function reasonOf(message: string): string {
  return message
    .replace(/^malformed frame: /, '')
    .replace(/'[^']*'|"[^"]*"/g, "'…'")
    .replace(/0x[0-9a-f]+|-?\d+(\.\d+)?/gi, 'N')
    .slice(0, 90);
}
