// How the dashboard writes figures: counts, rates, durations, percentages, bytes, times, states.

export const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function fmtCount(v) {
  return isNum(v) ? grouped.format(v) : '–';
}

/** A rate or a duration: one decimal below 10, whole numbers above. */
export function fmtRate(v) {
  if (!isNum(v)) return '–';
  return Math.abs(v) < 10 ? v.toFixed(1) : grouped.format(Math.round(v));
}

export function fmtMs(v) {
  if (!isNum(v)) return '–';
  return v < 0.1 ? v.toFixed(3) : v < 10 ? v.toFixed(2) : v < 1000 ? v.toFixed(1) : grouped.format(Math.round(v));
}

export function fmtPct(v, digits = 2) {
  return isNum(v) ? v.toFixed(digits) : '–';
}

export function fmtBytes(v) {
  if (!isNum(v)) return '–';
  if (v < 1024) return `${v} B`;
  if (v < 1024 * 1024) return `${(v / 1024).toFixed(1)} KiB`;
  if (v < 1024 * 1024 * 1024) return `${(v / 1024 / 1024).toFixed(1)} MiB`;
  return `${(v / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

export function fmtTime(ts) {
  if (!isNum(ts)) return '–';
  const d = new Date(ts);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

export function stateClass(state) {
  return `state state-${typeof state === 'string' ? state : 'unknown'}`;
}

const VIA_KINDS = ['in-place', 'warm', 'warming', 'standby', 'cold'];

/** The restart paths (`warm`, `in-place`, ...) whose counts rose from `before` (none: from 0) to `after`. */
export function viaRisen(before, after) {
  if (!after || typeof after !== 'object') return [];
  return VIA_KINDS.filter((k) => (after[k] ?? 0) > (before?.[k] ?? 0));
}
