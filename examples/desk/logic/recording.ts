// The market-data engine's recording: the last N ticks it published, for the backtesting engine to
// replay. Kept in columns (no object per tick), and read back in pages: an answer must fit in half
// of the asker's replies ring (64 KiB by default), and 20,000 ticks are about 1.6 MB of msgpack.
import type { TickValues } from '../contract.js';

export const RECORDING_DEFAULTS = Object.freeze({
  capacity: 20_000,
  /** Ticks per answer: about 80 bytes each in msgpack, so a page stays well under 32 KiB. */
  page: 256,
  maxPage: 4_096,
});

/** Ask the market-data engine for a page; `from` is an absolute tick number (see RecordingPage). */
export interface RecordingAsk {
  type: 'recording?';
  /** The last `max` ticks (default: all it keeps); used when `from` is absent. */
  max?: number;
  from?: number;
  /** Ticks in this answer at most (default 256, at most 4096). */
  page?: number;
}

/**
 * Ticks number from 0 (the first ever recorded); the ring keeps [end - capacity, end). A page holds
 * ticks [from, next); `end` is the count recorded when it was answered.
 */
export interface RecordingPage {
  symbols: string[];
  ticks: TickValues[];
  from: number;
  next: number;
  end: number;
}

export class TickRecorder {
  readonly capacity: number;
  private readonly f64: Float64Array[];
  private readonly sym: Uint16Array;
  private readonly side: Int8Array;
  private total = 0;
  private symbols: string[] = [];

  constructor(capacity: number = RECORDING_DEFAULTS.capacity) {
    if (!Number.isSafeInteger(capacity) || capacity <= 0) throw new RangeError(`TickRecorder: capacity must be a positive integer; got ${capacity}`);
    this.capacity = capacity;
    this.f64 = [0, 1, 2, 3, 4].map(() => new Float64Array(capacity)); // ts, px, qty, bid, ask
    this.sym = new Uint16Array(capacity);
    this.side = new Int8Array(capacity);
  }

  /** The symbol table of what follows; a different table starts the recording afresh (indices would mean other names). */
  useSymbols(symbols: readonly string[]): void {
    if (symbols.length === this.symbols.length && symbols.every((s, i) => s === this.symbols[i])) return;
    this.symbols = [...symbols];
    this.total = 0;
  }

  get recorded(): number {
    return this.total;
  }

  record(t: TickValues): void {
    const i = this.total % this.capacity;
    const [ts, px, qty, bid, ask] = this.f64;
    ts[i] = t.ts;
    px[i] = t.px;
    qty[i] = t.qty;
    bid[i] = t.bid;
    ask[i] = t.ask;
    this.sym[i] = t.sym;
    this.side[i] = t.side;
    this.total++;
  }

  page(ask: Omit<RecordingAsk, 'type'>): RecordingPage {
    const end = this.total;
    const oldest = Math.max(0, end - this.capacity);
    const want = Math.min(ask.max ?? this.capacity, this.capacity);
    const from = Math.min(end, Math.max(oldest, ask.from ?? end - want));
    const size = Math.min(RECORDING_DEFAULTS.maxPage, Math.max(1, ask.page ?? RECORDING_DEFAULTS.page));
    const next = Math.min(end, from + size);
    const ticks: TickValues[] = [];
    const [ts, px, qty, bid, ask_] = this.f64;
    for (let n = from; n < next; n++) {
      const i = n % this.capacity;
      ticks.push({ ts: ts[i], px: px[i], qty: qty[i], bid: bid[i], ask: ask_[i], sym: this.sym[i], side: this.side[i] });
    }
    return { symbols: this.symbols, ticks, from, next, end };
  }
}

/**
 * The last `max` ticks, page by page through `ask` (a ref's or ctx's ask to the market-data engine).
 * Stops at the end the first page saw; throws if the ring overwrote ticks before they were read
 * (a replay with a hole would not be the run it claims to be).
 */
export async function readRecording(ask: (msg: RecordingAsk) => Promise<RecordingPage>, max: number = RECORDING_DEFAULTS.capacity, page?: number): Promise<{ symbols: string[]; ticks: TickValues[] }> {
  const first = await ask({ type: 'recording?', max, page });
  const ticks = [...first.ticks];
  let next = first.next;
  while (next < first.end) {
    const p = await ask({ type: 'recording?', from: next, page });
    if (p.from !== next) throw new Error(`recording: ticks ${next} to ${p.from - 1} were overwritten before they were read`);
    if (p.next === p.from) break;
    ticks.push(...p.ticks.slice(0, first.end - p.from));
    next = p.next;
  }
  return { symbols: first.symbols, ticks };
}
