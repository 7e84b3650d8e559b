// The book: positions from fills at average cost, marked to the last trade price. Pure logic (no
// runtime import), so the portfolio engine, analytics and the backtest all keep books the same way.
import type { Fill, PnlUpdate } from '../contract.js';

/** Below this a quantity is taken for zero: fractional fills summed in doubles leave dust. */
const FLAT = 1e-9;

interface Position {
  /** Signed: long > 0, short < 0. */
  qty: number;
  /** The average cost of the open quantity; 0 when flat. */
  avg: number;
}

/** What one fill did to the book. */
export interface FillEffect {
  /** P&L realized by the part of the fill that closed an open position (0 when it only opened). */
  realized: number;
  /** The quantity it closed (0 when it only added to the position or opened one). */
  closedQty: number;
  /** The position after it. */
  position: number;
}

export class Book {
  /** Increases by one on each fill: who keeps a copy of the positions can tell it is stale. */
  version = 0;
  realized = 0;
  /** The latest message time seen (fills and marks): the book's clock. */
  ts = 0;
  private readonly positions = new Map<string, Position>();
  private readonly marks = new Map<string, number>();

  /**
   * Applies a fill. Adding to a position (or opening one) moves the average cost to the
   * quantity-weighted mean; reducing realizes (px - avg) x closed x sign(position); a flip closes
   * the whole position that way and opens the remainder at the fill price.
   */
  applyFill(fill: Fill): FillEffect {
    const pos = this.positions.get(fill.sym) ?? { qty: 0, avg: 0 };
    const signed = fill.side * fill.qty;
    let realized = 0;
    let closedQty = 0;
    if (Math.abs(pos.qty) < FLAT || Math.sign(pos.qty) === fill.side) {
      const open = Math.abs(pos.qty);
      pos.avg = (open * pos.avg + fill.qty * fill.px) / (open + fill.qty);
      pos.qty += signed;
    } else {
      closedQty = Math.min(fill.qty, Math.abs(pos.qty));
      realized = (fill.px - pos.avg) * closedQty * Math.sign(pos.qty);
      const remainder = fill.qty - closedQty;
      if (remainder > FLAT) {
        pos.qty = fill.side * remainder;
        pos.avg = fill.px;
      } else {
        pos.qty += signed;
        if (Math.abs(pos.qty) < FLAT) pos.qty = 0;
        if (pos.qty === 0) pos.avg = 0;
      }
    }
    this.positions.set(fill.sym, pos);
    // A symbol no trade has marked yet is marked at its fills (a later trade print replaces that).
    if (!this.marks.has(fill.sym)) this.marks.set(fill.sym, fill.px);
    this.realized += realized;
    this.version++;
    this.ts = Math.max(this.ts, fill.ts);
    return { realized, closedQty, position: pos.qty };
  }

  /** Marks a symbol to a trade price; false when that changed nothing. */
  mark(sym: string, px: number, ts: number): boolean {
    this.ts = Math.max(this.ts, ts);
    if (this.marks.get(sym) === px) return false;
    this.marks.set(sym, px);
    return this.positions.has(sym) && this.positions.get(sym)!.qty !== 0;
  }

  position(sym: string): number {
    return this.positions.get(sym)?.qty ?? 0;
  }

  avgCost(sym: string): number {
    return this.positions.get(sym)?.avg ?? 0;
  }

  markOf(sym: string): number | undefined {
    return this.marks.get(sym);
  }

  /** Sum over symbols of qty x (mark - avg). */
  unrealized(): number {
    let u = 0;
    for (const [sym, p] of this.positions) if (p.qty !== 0) u += p.qty * (this.marks.get(sym)! - p.avg);
    return u;
  }

  /** Sum of |qty x mark|. */
  gross(): number {
    let g = 0;
    for (const [sym, p] of this.positions) g += Math.abs(p.qty * this.marks.get(sym)!);
    return g;
  }

  /** Sum of qty x mark (long minus short). */
  net(): number {
    let n = 0;
    for (const [sym, p] of this.positions) n += p.qty * this.marks.get(sym)!;
    return n;
  }

  /** The book as the portfolio engine publishes it; symbols ever traded are listed, flat ones at 0. */
  snapshot(): PnlUpdate {
    const positions: Record<string, number> = {};
    const marks: Record<string, number> = {};
    for (const [sym, p] of this.positions) {
      positions[sym] = p.qty;
      marks[sym] = this.marks.get(sym)!;
    }
    const unrealized = this.unrealized();
    return {
      ts: this.ts,
      version: this.version,
      realized: this.realized,
      unrealized,
      total: this.realized + unrealized,
      gross: this.gross(),
      net: this.net(),
      positions,
      marks,
    };
  }
}
