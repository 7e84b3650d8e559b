// What `npm start` prints: a line a second while the desk runs, and a table of the engines at the end.
import type { SystemStats } from 'dualbus';
import type { SecondRow } from './meter.js';

const pad = (cells: Array<string | number>, widths: number[]) => cells.map((c, i) => String(c).padStart(widths[i]!)).join('  ');
const ROW_WIDTHS = [4, 10, 12, 9, 9, 8, 12];
export const ROW_HEADER = pad(['sec', 'ticks/s', 'handled/s', 'p50 µs', 'restarts', 'orders', 'P&L'], ROW_WIDTHS);

export function row(r: SecondRow, book: { orders: number; pnl: number | undefined }): string {
  return pad([r.sec, r.ticks.toLocaleString(), r.handled.toLocaleString(), r.p50Us.toFixed(1), r.restarts, Number.isNaN(book.orders) ? '-' : book.orders, book.pnl === undefined ? '-' : book.pnl.toFixed(2)], ROW_WIDTHS);
}

const ENGINE_WIDTHS = [14, 11, 9, 9, 9, 9, 7, 8, 9, 9];

export function printEngines(stats: SystemStats, engines: readonly string[]): void {
  console.log(`\n${pad(['engine', 'handled', 'p50 µs', 'p99 µs', 'handle µs', 'highWater', 'errors', 'restarts', 'uptime %', 'mttr ms'], ENGINE_WIDTHS)}`);
  for (const name of engines) {
    const a = stats.actors[name];
    if (a === undefined) continue;
    const perMessageUs = a.received === 0 ? 0 : (1000 * a.handlerMs) / a.received;
    console.log(pad([name, a.received.toLocaleString(), a.latencyUs.p50, a.latencyUs.p99, perMessageUs.toFixed(1), a.highWater, a.errors, a.restarts, a.uptimePct.toFixed(3), a.mttrMs?.toFixed(1) ?? '-'], ENGINE_WIDTHS));
  }
}

/** Which backend ran each kernel the engines called, how often, and its median run time. */
export function kernelsLine(stats: SystemStats): string {
  const parts: string[] = [];
  for (const [kernel, byBackend] of Object.entries(stats.kernels.kernels)) {
    for (const [backend, k] of Object.entries(byBackend)) {
      if (k !== undefined && k.calls > 0) parts.push(`${kernel} on ${backend}: ${k.calls.toLocaleString()} calls, p50 ${(k.runUs.p50 / 1000).toFixed(2)} ms${k.errors > 0 ? `, ${k.errors} errors` : ''}`);
    }
  }
  return `kernels: ${parts.length === 0 ? 'none called' : parts.join('; ')}`;
}
