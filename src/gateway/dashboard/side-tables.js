// Caches, kernels, bus: keyed rows, updated in place.
import { $, dropUnseen, el, setText } from './dom.js';
import { fmtBytes, fmtCount, fmtMs, fmtRate, isNum } from './format.js';

function keyedRows(tbody, map, key, columns) {
  let r = map.get(key);
  if (r === undefined) {
    const tr = el('tr', { 'data-key': key });
    const cells = {};
    for (const col of columns) {
      cells[col] = el('td', { 'data-field': col, class: col === 'name' || col === 'backend' || col === 'hitRate' ? 'l' : undefined });
      tr.append(cells[col]);
    }
    tbody.append(tr);
    r = { tr, cells };
    map.set(key, r);
  }
  return r;
}

/** Drops the rows the snapshot did not have; a placeholder row when none is left. */
function settleRows(tbody, map, seen, colspan, text) {
  dropUnseen(map, seen, (r) => r.tr);
  let p = tbody.querySelector('tr.placeholder');
  const show = map.size === 0;
  if (show && !p) {
    p = el('tr', { class: 'placeholder' }, el('td', { colspan: String(colspan), class: 'empty', text }));
    tbody.append(p);
  } else if (!show && p) {
    p.remove();
  }
}

const cacheBody = $('[data-testid="caches"] tbody');
const cacheRows = new Map();

export function renderCaches(snap, multiHost) {
  const seen = new Set();
  for (const h of snap.hosts) {
    const caches = h.caches && typeof h.caches === 'object' ? h.caches : {};
    for (const [name, c] of Object.entries(caches)) {
      if (!c || typeof c !== 'object') continue;
      const key = `${h.host}/${name}`;
      seen.add(key);
      const r = keyedRows(cacheBody, cacheRows, key, ['name', 'hitRate', 'hits', 'misses', 'entries', 'bytes', 'evictions']);
      if (!r.bar) {
        r.bar = el('span', { class: 'bar' }, el('span', { class: 'fill' }));
        r.pct = el('span', { class: 'pct' });
        r.cells.hitRate.append(r.bar, r.pct);
        r.tr.setAttribute('data-testid', `cache-${name}`);
      }
      setText(r.cells.name, multiHost ? `${name} (${h.host})` : name);
      // No lookups yet: no rate to show (the 0 the cache reports would read as all misses).
      const rate = isNum(c.hitRate) && (c.hits ?? 0) + (c.misses ?? 0) > 0 ? c.hitRate : null;
      setText(r.pct, rate === null ? '–' : `${(rate * 100).toFixed(1)} %`);
      r.bar.firstChild.style.width = `${rate === null ? 0 : Math.round(rate * 100)}%`;
      setText(r.cells.hits, fmtCount(c.hits));
      setText(r.cells.misses, fmtCount(c.misses));
      setText(r.cells.entries, fmtCount(c.entries));
      setText(r.cells.bytes, fmtBytes(c.bytes));
      setText(r.cells.evictions, fmtCount(c.evictions));
    }
  }
  settleRows(cacheBody, cacheRows, seen, 7, 'no caches');
}

/**
 * Kernels as the gateway sends them: `{ threads, queued, kernels: { <kernel>: { calls, errors,
 * backends: { <backend>: { calls, errors, runMs, queueMs } } } } }` (percentiles in ms). The
 * pool's own shape (`{ <kernel>: { <backend>: { calls, runUs, queueUs } } }`, in µs) is read too.
 */
function kernelEntries(kernels) {
  if (!kernels || typeof kernels !== 'object') return [];
  const byKernel = kernels.kernels && typeof kernels.kernels === 'object' ? kernels.kernels : kernels;
  const out = [];
  for (const [kernel, k] of Object.entries(byKernel)) {
    if (!k || typeof k !== 'object') continue;
    const byBackend = k.backends && typeof k.backends === 'object' ? k.backends : k;
    for (const [backend, s] of Object.entries(byBackend)) {
      if (s && typeof s === 'object' && isNum(s.calls)) out.push({ kernel, backend, s });
    }
  }
  return out;
}

/** A kernel's percentile in ms, from `runMs`/`queueMs` or from the pool's `runUs`/`queueUs`. */
function kernelMs(s, what, p) {
  const ms = s[`${what}Ms`]?.[p];
  if (isNum(ms)) return ms;
  const us = s[`${what}Us`]?.[p];
  return isNum(us) ? us / 1000 : undefined;
}

const kernelBody = $('[data-testid="kernels"] tbody');
const kernelRows = new Map();

export function renderKernels(snap, multiHost) {
  const seen = new Set();
  for (const h of snap.hosts) {
    for (const { kernel, backend, s } of kernelEntries(h.kernels)) {
      const key = `${h.host}/${kernel}/${backend}`;
      seen.add(key);
      const r = keyedRows(kernelBody, kernelRows, key, ['name', 'backend', 'calls', 'errors', 'run50', 'run99', 'queue50']);
      setText(r.cells.name, multiHost ? `${kernel} (${h.host})` : kernel);
      setText(r.cells.backend, backend);
      setText(r.cells.calls, fmtCount(s.calls));
      setText(r.cells.errors, fmtCount(s.errors));
      setText(r.cells.run50, fmtMs(kernelMs(s, 'run', 'p50')));
      setText(r.cells.run99, fmtMs(kernelMs(s, 'run', 'p99')));
      setText(r.cells.queue50, fmtMs(kernelMs(s, 'queue', 'p50')));
    }
  }
  settleRows(kernelBody, kernelRows, seen, 7, 'no kernel calls yet');
}

const busBox = $('[data-testid="bus"]');
const busCells = new Map();

/** The bus's figures, whatever they are: its scalar leaves, two levels deep, as name/value pairs. */
export function renderBus(snap) {
  const leaves = [];
  for (const h of snap.hosts) {
    if (!h.bus || typeof h.bus !== 'object') continue;
    const walk = (obj, prefix, depth) => {
      for (const [k, v] of Object.entries(obj)) {
        const name = prefix ? `${prefix}.${k}` : k;
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
          if (depth < 2) walk(v, name, depth + 1);
        } else if (typeof v !== 'object') {
          leaves.push([snap.hosts.length > 1 ? `${h.host}: ${name}` : name, v]);
        }
      }
    };
    walk(h.bus, '', 0);
  }
  const seen = new Set();
  if (leaves.length > 0) busBox.querySelector('.empty')?.remove();
  let list = busBox.querySelector('dl');
  if (leaves.length > 0 && !list) {
    list = el('dl', { class: 'kv' });
    busBox.append(list);
  }
  for (const [name, v] of leaves) {
    seen.add(name);
    let cell = busCells.get(name);
    if (!cell) {
      const dd = el('dd');
      const wrap = el('div', {}, el('dt', { text: name }), dd);
      list.append(wrap);
      cell = { wrap, dd };
      busCells.set(name, cell);
    }
    setText(cell.dd, typeof v === 'number' ? (Number.isInteger(v) ? fmtCount(v) : fmtRate(v)) : String(v));
  }
  dropUnseen(busCells, seen, (cell) => cell.wrap);
  if (leaves.length === 0 && !busBox.querySelector('.empty')) {
    list?.remove();
    busBox.append(el('p', { class: 'empty', text: 'embedded (no bus)' }));
  }
}
