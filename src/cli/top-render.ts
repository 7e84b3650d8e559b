import type { TopModel, TopRow } from './top-model.js';

const COLUMNS = ['ACTOR', 'STATE', 'RESTARTS', 'UPTIME', 'AVAIL', 'DEPTH', 'MSG/S', 'P99', 'DEAD'] as const;

/**
 * Renders the supervision tree as a table: supervisors as heading rows, their actors indented
 * under them, one line per actor with state, restarts, uptime, availability, mailbox depth, msg/s,
 * p99 latency and dead letters. Plain text, no colour: it must read the same in a log or a test.
 */
export function renderTop(model: TopModel, now: number): string {
  const rows = model.rows(now);
  const table: string[][] = [];
  const shown = new Set<string>();
  for (const r of rows) {
    const parts = r.path.split('/');
    // Heading rows for every supervisor on the way down, the first time each is met.
    for (let depth = 1; depth < parts.length; depth++) {
      const sup = parts.slice(0, depth).join('/');
      if (shown.has(sup)) continue;
      shown.add(sup);
      table.push([`${'  '.repeat(depth - 1)}${parts[depth - 1]}/`, model.supervisorState(sup), '', '', '', '', '', '', '']);
    }
    table.push(actorCells(r, parts.length - 1));
  }
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const title = `dualbus top — system ${model.system ?? '?'} — ${rows.length} actor${rows.length === 1 ? '' : 's'} — ${new Date(now).toISOString()}`;
  const out = [title, ...(model.failure !== undefined ? [`FAILED: ${model.failure}`] : []), '', line(COLUMNS), ...table.map(line), ...kernelLines(model), ...cacheLines(model)];
  return `${out.join('\n')}\n`;
}

const KERNEL_COLUMNS = ['KERNEL', 'BACKEND', 'CALLS', 'ERRORS', 'QUEUE P99', 'RUN P50', 'RUN P99', 'COPIED'] as const;

/** The kernel pool's table: one line per kernel and backend that ran; nothing when none ran. */
function kernelLines(model: TopModel): string[] {
  const table: string[][] = [];
  for (const [kernel, byBackend] of Object.entries(model.kernels ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (const [backend, k] of Object.entries(byBackend)) {
      table.push([kernel, backend, String(k.calls), String(k.errors), `${k.queueUs.p99}µs`, `${k.runUs.p50}µs`, `${k.runUs.p99}µs`, `${k.bytesCopied}B`]);
    }
  }
  if (table.length === 0) return [];
  const widths = KERNEL_COLUMNS.map((c, i) => Math.max(c.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return ['', line(KERNEL_COLUMNS), ...table.map(line)];
}

const CACHE_COLUMNS = ['CACHE', 'HIT RATE', 'HITS', 'MISSES', 'ENTRIES', 'BYTES', 'EVICTIONS', 'EXPIRED'] as const;

/** The host's caches: one line each, once any was read or written. */
function cacheLines(model: TopModel): string[] {
  const table = Object.entries(model.caches ?? {})
    .filter(([, c]) => c.hits + c.misses + c.entries > 0)
    .map(([name, c]) => [name, `${(c.hitRate * 100).toFixed(1)}%`, String(c.hits), String(c.misses), String(c.entries), `${c.bytes}/${c.maxBytes}`, String(c.evictions), String(c.expirations)]);
  if (table.length === 0) return [];
  const widths = CACHE_COLUMNS.map((c, i) => Math.max(c.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i < 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return ['', line(CACHE_COLUMNS), ...table.map(line)];
}

function actorCells(r: TopRow, depth: number): string[] {
  return [
    `${'  '.repeat(depth)}${r.actor}`,
    r.state,
    String(r.restarts),
    duration(r.uptimeMs),
    `${r.availabilityPct.toFixed(2)}%`,
    r.mailboxDepth === undefined ? '-' : String(r.mailboxDepth),
    r.messagesPerSec === undefined ? '-' : String(r.messagesPerSec),
    r.p99Us === undefined ? '-' : `${r.p99Us}µs`,
    String(r.deadLetters),
  ];
}

function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
