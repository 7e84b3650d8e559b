// Performance of the desk from its P&L updates and fills: Sharpe, drawdown, hit rate, trades,
// turnover. Pure logic, fed by the analytics engine live and by the backtest over a recording.
import type { Fill, Performance, PnlUpdate } from '../contract.js';
import { Book } from './portfolio.js';

/**
 * The Sharpe ratio is annualised per trading second: P&L is sampled once a second of message time
 * and a trading year is 252 days of 6.5 hours, so the ratio of the per-second changes is scaled by
 * sqrt(252 x 6.5 x 3600) = sqrt(5,896,800).
 */
export const INTERVALS_PER_YEAR = 252 * 6.5 * 3600;
export const INTERVAL_MS = 1000;

export class PerformanceTracker {
  ts = 0;
  pnl = 0;
  trades = 0;
  turnover = 0;
  /** Fills that closed some quantity, and those of them that realized a gain. */
  closingFills = 0;
  winningFills = 0;
  maxDrawdown = 0;
  private peak = 0;
  /** The P&L-change series of the closed seconds, kept as Welford's running moments. */
  private n = 0;
  private mean = 0;
  private m2 = 0;
  private second = Number.NaN;
  /** The total at the end of the last closed second (the desk starts at 0). */
  private lastSample = 0;
  /** A book of its own, only to know what each fill realized. */
  private readonly book = new Book();

  /**
   * A P&L update. The total at the end of each second of message time is one sample; a second
   * without an update is a sample unchanged (a zero change): the portfolio publishes whenever its
   * P&L moves (at most 250 ms late), so silence means no change. Drawdown is taken over every
   * update, peak to trough, from the starting 0.
   */
  onPnl(u: PnlUpdate): void {
    this.ts = Math.max(this.ts, u.ts);
    const second = Math.floor(u.ts / INTERVAL_MS);
    if (Number.isNaN(this.second)) this.second = second;
    else if (second > this.second) {
      this.addChanges(this.pnl - this.lastSample, 1);
      this.addChanges(0, second - this.second - 1);
      this.lastSample = this.pnl;
      this.second = second;
    }
    this.pnl = u.total;
    this.peak = Math.max(this.peak, u.total);
    this.maxDrawdown = Math.max(this.maxDrawdown, this.peak - u.total);
  }

  /** A fill: counted, its notional added to the turnover, and if it closed anything, a hit or a miss. */
  onFill(f: Fill): void {
    this.ts = Math.max(this.ts, f.ts);
    this.trades++;
    this.turnover += Math.abs(f.qty * f.px);
    const effect = this.book.applyFill(f);
    if (effect.closedQty > 0) {
      this.closingFills++;
      if (effect.realized > 0) this.winningFills++;
    }
  }

  /** Closed seconds so far (the samples of the Sharpe ratio). */
  get intervals(): number {
    return this.n;
  }

  /** mean / sample std of the per-second P&L changes x sqrt(INTERVALS_PER_YEAR); 0 with < 2 samples or no variation. */
  sharpe(): number {
    if (this.n < 2) return 0;
    const std = Math.sqrt(this.m2 / (this.n - 1));
    return std > 0 ? (this.mean / std) * Math.sqrt(INTERVALS_PER_YEAR) : 0;
  }

  hitRate(): number {
    return this.closingFills === 0 ? 0 : this.winningFills / this.closingFills;
  }

  performance(): Performance {
    return {
      ts: this.ts,
      pnl: this.pnl,
      sharpe: this.sharpe(),
      maxDrawdown: this.maxDrawdown,
      hitRate: this.hitRate(),
      trades: this.trades,
      turnover: this.turnover,
    };
  }

  /** Adds `count` samples equal to `x` at once (Chan et al.'s merge of two sets of moments). */
  private addChanges(x: number, count: number): void {
    if (count <= 0) return;
    const n = this.n + count;
    const delta = x - this.mean;
    this.mean += (delta * count) / n;
    this.m2 += (delta * delta * this.n * count) / n;
    this.n = n;
  }
}
