// The seed's scorecard: its KPIs measured on this run, beside the seed platform's current figures
// and its targets. A figure "beats" its target when it is better (lower latency and recovery,
// higher throughput and hit rate); a 100% target is met at 100% (nothing can beat it).

export interface RunFigures {
  /** Mean over the engines of their message latency p50 (send to start of handling), in ms. */
  latencyMs: number;
  latencyP99Ms: number;
  /** The busiest second: messages handled by all engines together. */
  peakOpsPerSec: number;
  meanOpsPerSec: number;
  /** Pings answered within the timeout, in percent (AvailabilityProbe). */
  availabilityPct: number;
  /** The desk cache's hit rate, in percent. */
  cacheHitPct: number;
  /** The slowest drill: from the kill to the engine's first answer, in ms; undefined with no drill. */
  recoveryMs: number | undefined;
  /** Ticks received by every md.* subscriber over ticks published, and no message refused or dead-lettered, in percent. */
  deliveryPct: number;
}

interface Kpi {
  name: string;
  unit: string;
  seedNow: number | undefined;
  target: number;
  better: 'lower' | 'higher';
  value: (f: RunFigures) => number | undefined;
  digits: number;
}

export const SEED_KPIS: readonly Kpi[] = [
  { name: 'average engine latency', unit: 'ms', seedNow: 0.43, target: 0.12, better: 'lower', value: (f) => f.latencyMs, digits: 3 },
  { name: 'peak throughput', unit: 'ops/s', seedNow: 6_680, target: 25_000, better: 'higher', value: (f) => f.peakOpsPerSec, digits: 0 },
  { name: 'availability', unit: '%', seedNow: 84.6, target: 100, better: 'higher', value: (f) => f.availabilityPct, digits: 3 },
  { name: 'cache hit rate', unit: '%', seedNow: undefined, target: 85, better: 'higher', value: (f) => f.cacheHitPct, digits: 1 },
  { name: 'recovery time', unit: 'ms', seedNow: undefined, target: 30_000, better: 'lower', value: (f) => f.recoveryMs, digits: 1 },
  { name: 'message delivery', unit: '%', seedNow: undefined, target: 100, better: 'higher', value: (f) => f.deliveryPct, digits: 3 },
];

export type Verdict = 'beats' | 'meets' | 'misses' | 'not measured';

export function verdict(kpi: Kpi, value: number | undefined): Verdict {
  if (value === undefined || Number.isNaN(value)) return 'not measured';
  const atCeiling = kpi.better === 'higher' && kpi.target === 100;
  if (atCeiling) return value >= 100 ? 'meets' : 'misses';
  if (kpi.better === 'lower') return value < kpi.target ? 'beats' : value === kpi.target ? 'meets' : 'misses';
  return value > kpi.target ? 'beats' : value === kpi.target ? 'meets' : 'misses';
}

function fmt(v: number | undefined, digits: number): string {
  if (v === undefined || Number.isNaN(v)) return '-';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** The scorecard as a Markdown table (it reads as a table in a terminal and pastes into README). */
export function scorecard(f: RunFigures): { table: string; allMet: boolean } {
  const rows = SEED_KPIS.map((k) => {
    const v = k.value(f);
    return [k.name, k.unit, fmt(k.seedNow, k.digits), fmt(k.target, k.digits), fmt(v, k.digits), verdict(k, v)];
  });
  const head = ['KPI', 'unit', 'seed now', 'seed target', 'this run', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i < 2 || i === 5 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i < 2 || i === 5 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  const table = [line(head), rule, ...rows.map(line)].join('\n');
  return { table, allMet: rows.every((r) => r[5] === 'beats' || r[5] === 'meets') };
}
