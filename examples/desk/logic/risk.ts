// Risk's logic: the rolling window of bar returns, the book's weights, when to recompute, the
// toxicity watch, and a plain JS historical VaR/ES (the tests' and the backtest's reference; the
// engine runs the kernel pool's). No runtime import: storage comes from an allocator, so the
// engine puts the window on shared memory and the backtest on the heap.
import type { EnhancedVpinUpdate, RiskAlert } from '../contract.js';

export type Alloc = (length: number) => Float64Array;
const heap: Alloc = (length) => new Float64Array(length);

export interface BarWindowOptions {
  /** Rows kept: the last `capacity` bars. */
  capacity: number;
  /** Columns: symbols beyond this many are not tracked. */
  maxSymbols: number;
  /** Bar length in message time (ms). */
  barMs: number;
  alloc?: Alloc;
}

/**
 * Bar returns of every symbol, row-major (bars x symbols) in a ring of `capacity` rows. A bar is a
 * slice of message time of `barMs`; it closes when a tick of a later bar arrives (any symbol), and
 * its row holds each symbol's simple return from the previous row's close to this one's (0 for a
 * symbol that did not trade, or traded for the first time). Bars in which nothing traded make no
 * row (a quiet hour is not 3600 rows of zeros), as the VPIN kernel skips empty bars.
 */
export class BarWindow {
  /** Rows added since the start (the bar key of the figures computed over the window). */
  bars = 0;
  readonly data: Float64Array;
  private readonly cols = new Map<string, number>();
  private readonly symbolsList: string[] = [];
  private readonly last: Float64Array;
  private readonly prevClose: Float64Array;
  private head = 0;
  private count = 0;
  private curBar = Number.NaN;

  constructor(readonly options: BarWindowOptions) {
    const alloc = options.alloc ?? heap;
    this.data = alloc(options.capacity * options.maxSymbols);
    this.last = new Float64Array(options.maxSymbols);
    this.prevClose = new Float64Array(options.maxSymbols);
  }

  /** Takes one trade; true when it closed a bar first (a row was added). Late ticks join the open bar. */
  onTick(sym: string, px: number, ts: number): boolean {
    const col = this.columnFor(sym);
    if (col < 0 || !(px > 0)) return false;
    const bar = Math.floor(ts / this.options.barMs);
    let closed = false;
    if (Number.isNaN(this.curBar)) this.curBar = bar;
    else if (bar > this.curBar) {
      this.closeBar();
      this.curBar = bar;
      closed = true;
    }
    this.last[col] = px;
    return closed;
  }

  /** Rows in the window now. */
  get rows(): number {
    return this.count;
  }

  get symbols(): readonly string[] {
    return this.symbolsList;
  }

  column(sym: string): number {
    return this.cols.get(sym) ?? -1;
  }

  /** The last trade price of a symbol (0 before any). */
  lastPrice(sym: string): number {
    const c = this.cols.get(sym);
    return c === undefined ? 0 : this.last[c]!;
  }

  /**
   * A copy of the window's `columns`, oldest bar first: rows x columns.length, row-major, in a new
   * array from `alloc` (a snapshot: ticks arriving while a kernel reads it cannot change it).
   */
  window(columns: readonly number[], alloc: Alloc = heap): Float64Array {
    const n = columns.length;
    const N = this.options.maxSymbols;
    const out = alloc(this.count * n);
    const first = this.count < this.options.capacity ? 0 : this.head;
    for (let r = 0; r < this.count; r++) {
      const row = ((first + r) % this.options.capacity) * N;
      for (let j = 0; j < n; j++) out[r * n + j] = this.data[row + columns[j]!]!;
    }
    return out;
  }

  private columnFor(sym: string): number {
    let c = this.cols.get(sym);
    if (c === undefined) {
      if (this.symbolsList.length >= this.options.maxSymbols) return -1;
      c = this.symbolsList.length;
      this.cols.set(sym, c);
      this.symbolsList.push(sym);
    }
    return c;
  }

  private closeBar(): void {
    const N = this.options.maxSymbols;
    const row = this.head * N;
    for (let c = 0; c < N; c++) {
      const prev = this.prevClose[c]!;
      const now = this.last[c]!;
      this.data[row + c] = prev > 0 && now > 0 ? now / prev - 1 : 0;
      this.prevClose[c] = now;
    }
    this.head = (this.head + 1) % this.options.capacity;
    this.count = Math.min(this.count + 1, this.options.capacity);
    this.bars++;
  }
}

/**
 * The book as the VaR kernels take it: the symbols held (nonzero positions that the window
 * tracks), their columns in the window, and their weights = position x last price (currency
 * exposure, so a scenario's P&L is returns . weights in currency).
 */
export function bookWeights(positions: Record<string, number>, window: BarWindow): { symbols: string[]; columns: number[]; weights: number[] } {
  const symbols: string[] = [];
  const columns: number[] = [];
  const weights: number[] = [];
  for (const sym of Object.keys(positions).sort()) {
    const qty = positions[sym]!;
    const col = window.column(sym);
    const px = window.lastPrice(sym);
    if (qty === 0 || col < 0 || !(px > 0)) continue;
    symbols.push(sym);
    columns.push(col);
    weights.push(qty * px);
  }
  return { symbols, columns, weights };
}

/**
 * The index of the VaR scenario among T sorted ascending: max(0, ceil((1 - c) T) - 1), a product
 * within rounding of a whole number taken as that number ((1 - 0.95) x 20 is 1.0000000000000009
 * in doubles: a bare ceil would step one scenario into the body). The README's kernel rule.
 */
export function tailIndex(c: number, T: number): number {
  const x = (1 - c) * T;
  const whole = Math.round(x);
  const k = Math.abs(x - whole) <= 1e-9 * Math.max(1, x) ? whole : Math.ceil(x);
  return Math.max(0, Math.min(T, k) - 1);
}

/**
 * Historical VaR and ES, written apart from the kernels: each scenario's P&L is returns_row .
 * weights; sorted ascending, VaR = -P&L[j] and ES = -mean(P&L[0..j]) with j = tailIndex(c, T).
 * Losses come out positive.
 */
export function historicalVar(returns: ArrayLike<number>, t: number, n: number, weights: ArrayLike<number>, levels: readonly number[] = [0.95, 0.99]): { var: number[]; es: number[] } {
  const pnl = new Float64Array(t);
  for (let s = 0; s < t; s++) {
    let p = 0;
    for (let c = 0; c < n; c++) p += returns[s * n + c]! * weights[c]!;
    pnl[s] = p;
  }
  pnl.sort();
  const out = { var: [] as number[], es: [] as number[] };
  for (const c of levels) {
    const j = tailIndex(c, t);
    let sum = 0;
    for (let s = 0; s <= j; s++) sum += pnl[s]!;
    out.var.push(-pnl[j]!);
    out.es.push(-sum / (j + 1));
  }
  return out;
}

/**
 * When to recompute: when the positions changed (a new version), or every `everyBars` new bars,
 * and only once the window holds `minBars` rows (fewer make a VaR of two or three numbers).
 */
export class RiskSchedule {
  private version = -1;
  private bars = -Infinity;

  constructor(readonly everyBars: number, readonly minBars: number) {}

  due(bars: number, rows: number, version: number): boolean {
    if (rows < this.minBars) return false;
    return version !== this.version || bars - this.bars >= this.everyBars;
  }

  done(bars: number, version: number): void {
    this.bars = bars;
    this.version = version;
  }
}

/** Which symbols are toxic now: an alert when one turns toxic (level 2), and when it clears (level 0). */
export class ToxicityWatch {
  private readonly toxic = new Set<string>();

  update(u: EnhancedVpinUpdate, sym = u.sym): RiskAlert | undefined {
    const was = this.toxic.has(sym);
    if (u.toxic === was) return undefined;
    if (u.toxic) this.toxic.add(sym);
    else this.toxic.delete(sym);
    return { sym, ts: u.ts, level: u.toxic ? 2 : 0, vpin: u.vpin, cdf: u.cdf };
  }

  isToxic(sym: string): boolean {
    return this.toxic.has(sym);
  }
}
