// The desk's live dashboard. Plain browser JavaScript, no build step: the gateway serves this file
// as it is, and uPlot (its IIFE build, the global `uPlot`) from /vendor/uplot.js.
//
// Data: GET /snapshot once for the first paint, then the WebSocket /stream, subscribed to
// `$snapshot` (a snapshot pushed every 500 ms by default), reconnected with backoff when it drops.
// Every snapshot updates the page in place: each figure lives in one DOM cell that is written only
// when its text changes, tables keep one row per key, the supervision tree is rebuilt only when its
// shape changes, and the charts get new data with setData. Restarts and failures become events by
// comparing each snapshot with the one before.
//
// For tests: data-testid attributes on the parts (engine-<name> rows whose cells carry data-field,
// kill-<name> buttons, host-<host> trees, updated-at, snapshot-count, events), and
// window.__dashboard = { snapshots, lastSnapshot, events, connection }.

const WINDOW = 120; // chart points kept (one per snapshot: a minute at 500 ms)
const EVENTS_KEPT = 200;
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5000;
const STALE_AFTER_MS = 3000; // no snapshot for this long on an open stream: shown as stale
const CHART_HEIGHT = 180;
const PALETTE = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2',
  '#7f7f7f', '#bcbd22', '#17becf', '#393b79', '#ad494a', '#637939', '#843c39', '#5254a3', '#6b6ecf',
];
const VIA_KINDS = ['in-place', 'warm', 'warming', 'standby', 'cold'];

const dash = { snapshots: 0, lastSnapshot: null, events: [], connection: 'connecting', dropped: 0 };
window.__dashboard = dash;

// ---------------------------------------------------------------------------------------------
// Small helpers

const $ = (selector, root = document) => root.querySelector(selector);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

/** Writes a cell's text only when it changed (the DOM is not touched otherwise). */
function setText(node, text) {
  if (node.__text !== text) {
    node.__text = text;
    node.textContent = text;
  }
}

function setAttr(node, name, value) {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function fmtCount(v) {
  return isNum(v) ? grouped.format(v) : '–';
}

/** A rate or a duration: one decimal below 10, whole numbers above. */
function fmtRate(v) {
  if (!isNum(v)) return '–';
  return Math.abs(v) < 10 ? v.toFixed(1) : grouped.format(Math.round(v));
}

function fmtMs(v) {
  if (!isNum(v)) return '–';
  return v < 0.1 ? v.toFixed(3) : v < 10 ? v.toFixed(2) : v < 1000 ? v.toFixed(1) : grouped.format(Math.round(v));
}

function fmtPct(v, digits = 2) {
  return isNum(v) ? v.toFixed(digits) : '–';
}

function fmtBytes(v) {
  if (!isNum(v)) return '–';
  if (v < 1024) return `${v} B`;
  if (v < 1024 * 1024) return `${(v / 1024).toFixed(1)} KiB`;
  if (v < 1024 * 1024 * 1024) return `${(v / 1024 / 1024).toFixed(1)} MiB`;
  return `${(v / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

function fmtTime(ts) {
  if (!isNum(ts)) return '–';
  const d = new Date(ts);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function stateClass(state) {
  return `state state-${typeof state === 'string' ? state : 'unknown'}`;
}

// ---------------------------------------------------------------------------------------------
// Header

const header = {
  hosts: $('[data-testid="hosts"]'),
  availability: $('[data-testid="availability"]'),
  running: $('[data-testid="running"]'),
  totalMsgs: $('[data-testid="total-msgs"]'),
  totalRestarts: $('[data-testid="total-restarts"]'),
  updatedAt: $('[data-testid="updated-at"]'),
  count: $('[data-testid="snapshot-count"]'),
  conn: $('[data-testid="connection"]'),
  connText: $('[data-testid="connection"] .conn-text'),
};

function setConnection(state, text = state) {
  dash.connection = state;
  setAttr(header.conn, 'data-state', state);
  setText(header.connText, text);
}

function renderHeader(snap, engines) {
  const hosts = snap.hosts.map((h) => h.host);
  setText(header.hosts, hosts.join(' · ') || '–');
  document.title = `dualbus · ${hosts.join(', ') || 'desk'}`;
  let msgs = 0;
  let uptime = 0;
  let uptimeN = 0;
  let running = 0;
  let restarts = 0;
  for (const { e } of engines) {
    if (isNum(e.messagesPerSec)) msgs += e.messagesPerSec;
    if (isNum(e.uptimePct)) {
      uptime += e.uptimePct;
      uptimeN++;
    }
    if (e.state === 'running') running++;
    if (isNum(e.restarts)) restarts += e.restarts;
  }
  setText(header.availability, uptimeN > 0 ? `${fmtPct(uptime / uptimeN, 3)} %` : '–');
  setText(header.running, `${running} / ${engines.length}`);
  setAttr(header.running, 'data-all', String(running === engines.length));
  setText(header.totalMsgs, fmtRate(msgs));
  setText(header.totalRestarts, fmtCount(restarts));
  setText(header.updatedAt, fmtTime(snap.ts));
  setAttr(header.updatedAt, 'data-ts', String(snap.ts));
  setText(header.count, String(dash.snapshots));
}

// ---------------------------------------------------------------------------------------------
// Supervision trees, one per host: rebuilt when a tree's shape changes, updated in place otherwise.

const treesBox = $('[data-testid="trees"]');
const trees = new Map(); // host -> { section, shape, list, nodes: Map<path, { item, spec, restarts, stateText }> }

/** A host's tree is a forest (one root per top supervisor); a single root object is taken too. */
function treeRoots(tree) {
  if (Array.isArray(tree)) return tree.filter((n) => n && typeof n === 'object');
  return tree && typeof tree === 'object' ? [tree] : [];
}

const nodeKey = (spec) => String(spec.path ?? spec.name);

function treeShape(node) {
  if (!node || typeof node !== 'object') return '';
  const kids = Array.isArray(node.children) ? node.children.map(treeShape).join(',') : '';
  return `${node.kind}:${nodeKey(node)}(${kids})`;
}

function renderTrees(snap, byName) {
  const seen = new Set();
  for (const h of snap.hosts) {
    seen.add(h.host);
    let t = trees.get(h.host);
    if (t === undefined) {
      const section = el('section', { class: 'host-tree', 'data-testid': `host-${h.host}` }, el('h3', { text: h.host }));
      treesBox.querySelector('.empty')?.remove();
      treesBox.append(section);
      t = { section, shape: null, list: null, nodes: new Map() };
      trees.set(h.host, t);
    }
    const roots = treeRoots(h.tree);
    const shape = roots.map(treeShape).join(';');
    if (shape !== t.shape) {
      t.shape = shape;
      t.nodes.clear();
      t.list?.remove();
      t.list = el('ul', { class: 'tree' });
      for (const root of roots) t.list.append(treeNode(root, t.nodes));
      if (roots.length === 0) t.list.append(el('li', { class: 'empty', text: 'no engines' }));
      t.section.append(t.list);
    }
    for (const n of t.nodes.values()) {
      if (n.spec.kind !== 'engine') continue;
      const e = byName.get(String(n.spec.name))?.e;
      const state = n.spec.state ?? e?.state;
      const restarts = n.spec.restarts ?? e?.restarts;
      if (state !== undefined) setAttr(n.item, 'data-state', state);
      if (n.restarts) {
        setText(n.restarts, `↻ ${fmtCount(restarts)}`);
        setAttr(n.restarts, 'data-zero', String(!(restarts > 0)));
      }
      if (n.stateText && state !== undefined) setText(n.stateText, state);
    }
  }
  for (const [host, t] of trees) {
    if (!seen.has(host)) {
      t.section.remove();
      trees.delete(host);
    }
  }
}

/** One node of a tree (and its children); its live parts go into `nodes` by name. */
function treeNode(spec, nodes) {
  const engine = spec.kind === 'engine';
  const label = el('span', { class: `node ${engine ? 'node-engine' : 'node-supervisor'}` },
    el('span', { class: 'dot' }), el('span', { class: 'node-name', text: String(spec.name) }));
  const entry = { item: label, spec, restarts: null, stateText: null };
  if (engine) {
    entry.stateText = el('span', { class: 'node-state' });
    entry.restarts = el('span', { class: 'node-restarts', title: 'restarts' });
    label.append(entry.stateText, entry.restarts);
  } else if (spec.strategy) {
    label.append(el('span', { class: 'node-strategy', text: String(spec.strategy) }));
  }
  label.setAttribute('data-node', String(spec.name));
  label.setAttribute('title', nodeKey(spec));
  nodes.set(nodeKey(spec), entry);
  const item = el('li', {}, label);
  if (Array.isArray(spec.children) && spec.children.length > 0) {
    const list = el('ul');
    for (const c of spec.children) list.append(treeNode(c, nodes));
    item.append(list);
  }
  return item;
}

/** The spec of a tree node is replaced when the next snapshot brings the same shape (fresh figures). */
function refreshTreeSpecs(snap) {
  for (const h of snap.hosts) {
    const t = trees.get(h.host);
    if (!t) continue;
    const walk = (spec) => {
      const n = t.nodes.get(nodeKey(spec));
      if (n) n.spec = spec;
      if (Array.isArray(spec.children)) spec.children.forEach(walk);
    };
    treeRoots(h.tree).forEach(walk);
  }
}

// ---------------------------------------------------------------------------------------------
// The engines table: one row per engine, its cells written in place.

const engineBody = $('[data-testid="engines"] tbody');
const rows = new Map(); // name -> { tr, cells }
const FIELDS = ['name', 'host', 'state', 'msgs', 'p50', 'p99', 'mailbox', 'errors', 'restarts', 'uptime', 'mttr', 'drill'];
const HOT_MS = 3000; // a count that rose stays highlighted this long

function engineRow(name) {
  let row = rows.get(name);
  if (row !== undefined) return row;
  const tr = el('tr', { 'data-testid': `engine-${name}` });
  const cells = {};
  for (const f of FIELDS) {
    const td = el('td', { 'data-field': f, class: f === 'name' || f === 'host' || f === 'state' || f === 'drill' ? 'l' : undefined });
    if (f === 'host') td.classList.add('host-col');
    cells[f] = td;
    tr.append(td);
  }
  setText(cells.name, name);
  cells.stateBadge = el('span', { class: stateClass('unknown') });
  cells.state.append(cells.stateBadge);
  const kill = el('button', { type: 'button', class: 'kill', 'data-testid': `kill-${name}`, title: `drill: kill ${name}'s worker; its supervisor restarts it` }, 'kill');
  kill.addEventListener('click', () => drill(name, row));
  const result = el('span', { class: 'drill-result', 'data-testid': `drill-${name}` });
  cells.drill.append(kill, result);
  row = { tr, cells, kill, result, hot: {}, busy: false };
  rows.set(name, row);
  engineBody.append(tr);
  return row;
}

function renderEngines(engines, multiHost) {
  document.body.classList.toggle('multi-host', multiHost);
  const now = Date.now();
  const seen = new Set();
  for (const { host, e } of engines) {
    const name = String(e.name);
    seen.add(name);
    const row = engineRow(name);
    const c = row.cells;
    setAttr(row.tr, 'data-state', String(e.state));
    setAttr(c.name, 'title', e.path ?? name);
    setText(c.host, host);
    setText(c.stateBadge, String(e.state ?? '–'));
    setAttr(c.stateBadge, 'class', stateClass(e.state));
    setText(c.msgs, fmtRate(e.messagesPerSec));
    setText(c.p50, fmtRate(e.latencyUs?.p50));
    setText(c.p99, fmtRate(e.latencyUs?.p99));
    setText(c.mailbox, `${fmtCount(e.mailboxDepth)} / ${fmtCount(e.highWater)}`);
    setText(c.errors, fmtCount(e.errors));
    setText(c.restarts, fmtCount(e.restarts));
    setText(c.uptime, fmtPct(e.uptimePct));
    setText(c.mttr, fmtMs(e.mttrMs));
    const v = e.restartsVia && typeof e.restartsVia === 'object'
      ? VIA_KINDS.filter((k) => e.restartsVia[k] > 0).map((k) => `${k} ${e.restartsVia[k]}`).join(', ')
      : '';
    setAttr(c.restarts, 'title', v ? `restarts by path: ${v}` : 'no restarts');
    hot(row, 'errors', e.errors, now);
    hot(row, 'restarts', e.restarts, now);
    row.kill.disabled = row.busy || e.state === 'stopped' || e.state === 'stopping';
  }
  for (const [name, row] of rows) {
    if (!seen.has(name)) {
      row.tr.remove();
      rows.delete(name);
    }
  }
}

/** Highlights a count for a while after it rose. */
function hot(row, field, value, now) {
  const h = row.hot[field] ?? (row.hot[field] = { value, until: 0 });
  if (isNum(value) && isNum(h.value) && value > h.value) h.until = now + HOT_MS;
  h.value = value;
  row.cells[field].classList.toggle('hot', now < h.until);
}

async function drill(name, row) {
  if (row.busy) return;
  row.busy = true;
  row.kill.disabled = true;
  setText(row.result, 'killing…');
  row.result.className = 'drill-result pending';
  try {
    const res = await fetch(`/engines/${encodeURIComponent(name)}/kill`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'a failure drill from the dashboard' }),
    });
    let body = null;
    try {
      body = await res.json();
    } catch {
      // a body that is not JSON (or none): the status says enough
    }
    if (res.ok) {
      setText(row.result, 'killed');
      setAttr(row.result, 'title', `killed at ${fmtTime(Date.now())}; its supervisor restarts it`);
      row.result.className = 'drill-result ok';
      addEvent('drill', name, `drill: ${name}'s worker killed (HTTP ${res.status})`);
    } else {
      const why = body && (body.message || body.error) ? `: ${body.message || body.error}` : '';
      setText(row.result, `refused (${res.status})`);
      row.result.className = 'drill-result bad';
      addEvent('drill-refused', name, `drill on ${name} refused (HTTP ${res.status}${why})`);
    }
  } catch (err) {
    setText(row.result, 'failed');
    row.result.className = 'drill-result bad';
    addEvent('drill-refused', name, `drill on ${name} failed: ${err && err.message ? err.message : err}`);
  } finally {
    // One drill at a time per engine, and not twice in a blink.
    setTimeout(() => {
      row.busy = false;
      row.kill.disabled = row.tr.dataset.state === 'stopped';
    }, 1000);
  }
}

// ---------------------------------------------------------------------------------------------
// Events: what changed between two snapshots.

const eventList = $('[data-testid="events"]');

function addEvent(kind, engine, text, ts = Date.now()) {
  const ev = { ts, kind, engine, text };
  dash.events.push(ev);
  if (dash.events.length > EVENTS_KEPT) dash.events.shift();
  const li = el('li', { 'data-kind': kind, 'data-engine': engine ?? undefined },
    el('time', { text: fmtTime(ts).slice(0, 8) }), el('span', { class: 'ev-text', text }));
  eventList.prepend(li);
  while (eventList.childElementCount > EVENTS_KEPT) eventList.lastElementChild.remove();
}

/** The restart paths whose counts rose: `warm`, `in-place`, ... */
function viaOf(before, after) {
  if (!after || typeof after !== 'object') return [];
  return VIA_KINDS.filter((k) => (after[k] ?? 0) > (before?.[k] ?? 0));
}

/** How long the latest recoveries took, from the mean time to recover before and after them. */
function recoveryMs(before, after) {
  const n = after.restarts - before.restarts;
  if (!isNum(after.mttrMs) || n <= 0) return undefined;
  const total = after.mttrMs * after.restarts - (isNum(before.mttrMs) ? before.mttrMs * before.restarts : 0);
  return total > 0 ? total / n : after.mttrMs;
}

const ALARMING = new Set(['failed', 'restarting', 'stopping', 'stopped']);

function diffSnapshots(prev, engines, snap) {
  const before = new Map();
  const prevHosts = new Set();
  if (prev) {
    for (const h of prev.hosts) {
      prevHosts.add(h.host);
      for (const e of h.engines ?? []) before.set(String(e.name), e);
    }
  }
  const now = new Set();
  for (const h of snap.hosts) {
    if (prev && !prevHosts.has(h.host)) addEvent('host', null, `host ${h.host} joined`, snap.ts);
  }
  for (const h of prevHosts) {
    if (!snap.hosts.some((x) => x.host === h)) addEvent('host', null, `host ${h} left`, snap.ts);
  }
  for (const { e } of engines) {
    const name = String(e.name);
    now.add(name);
    const p = before.get(name);
    if (!prev) continue;
    if (p === undefined) {
      addEvent('engine', name, `${name} appeared (${e.state})`, snap.ts);
      continue;
    }
    if (isNum(e.restarts) && isNum(p.restarts) && e.restarts > p.restarts) {
      const n = e.restarts - p.restarts;
      const via = viaOf(p.restartsVia, e.restartsVia);
      const ms = recoveryMs(p, e);
      const how = [via.join('+'), ms !== undefined ? `${fmtMs(ms)} ms` : ''].filter(Boolean).join(', ');
      addEvent('restart', name, `${name} restarted${n > 1 ? ` ${n}×` : ''}${how ? ` (${how})` : ''}`, snap.ts);
    } else if (e.state !== p.state && ALARMING.has(e.state)) {
      addEvent('state', name, `${name} ${e.state}`, snap.ts);
    }
    if (isNum(e.deadLetters) && isNum(p.deadLetters) && e.deadLetters > p.deadLetters) {
      addEvent('dead-letter', name, `${name}: ${e.deadLetters - p.deadLetters} message(s) dead-lettered`, snap.ts);
    }
  }
  for (const name of before.keys()) {
    if (!now.has(name)) addEvent('engine', name, `${name} left`, snap.ts);
  }
}

// ---------------------------------------------------------------------------------------------
// Charts (uPlot): a rolling window of WINDOW points; series per engine are rebuilt only when the
// set of engines changes, and every snapshot is one setData.

const history = {
  x: [], // seconds (uPlot's time scale)
  total: [],
  depth: [],
  maxDepth: [],
  p50: [],
  p99: [],
  engines: new Map(), // name -> { msgs: [], p50: [], p99: [] }
};

function pushPoint(arr, v) {
  arr.push(v);
  if (arr.length > WINDOW) arr.shift();
}

function recordHistory(snap, engines) {
  const n = history.x.length;
  pushPoint(history.x, snap.ts / 1000);
  let total = 0;
  let depth = 0;
  let maxDepth = 0;
  let p50 = 0;
  let p99 = 0;
  let latN = 0;
  const seen = new Set();
  for (const { e } of engines) {
    const name = String(e.name);
    seen.add(name);
    let h = history.engines.get(name);
    if (h === undefined) {
      const pad = () => new Array(Math.min(n, WINDOW)).fill(null);
      h = { msgs: pad(), p50: pad(), p99: pad() };
      history.engines.set(name, h);
    }
    const msgs = isNum(e.messagesPerSec) ? e.messagesPerSec : null;
    const l50 = isNum(e.latencyUs?.p50) ? e.latencyUs.p50 : null;
    const l99 = isNum(e.latencyUs?.p99) ? e.latencyUs.p99 : null;
    pushPoint(h.msgs, msgs);
    pushPoint(h.p50, l50);
    pushPoint(h.p99, l99);
    if (msgs !== null) total += msgs;
    if (isNum(e.mailboxDepth)) {
      depth += e.mailboxDepth;
      maxDepth = Math.max(maxDepth, e.mailboxDepth);
    }
    // Engines that have seen no sampled message yet report 0: they would drag the mean down.
    if (l50 !== null && l99 !== null && (l50 > 0 || l99 > 0)) {
      p50 += l50;
      p99 += l99;
      latN++;
    }
  }
  for (const [name, h] of history.engines) {
    if (seen.has(name)) continue;
    pushPoint(h.msgs, null);
    pushPoint(h.p50, null);
    pushPoint(h.p99, null);
    if (h.msgs.every((v) => v === null)) history.engines.delete(name);
  }
  pushPoint(history.total, total);
  pushPoint(history.depth, depth);
  pushPoint(history.maxDepth, maxDepth);
  pushPoint(history.p50, latN > 0 ? p50 / latN : null);
  pushPoint(history.p99, latN > 0 ? p99 / latN : null);
}

const charts = {
  msgs: { box: $('[data-testid="chart-msgs"]'), plot: null, key: '' },
  latency: { box: $('[data-testid="chart-latency"]'), plot: null, key: '' },
  depth: { box: $('[data-testid="chart-depth"]'), plot: null, key: '' },
};
const latencySelect = $('[data-testid="latency-engine"]');
latencySelect.addEventListener('change', () => drawCharts());

const hasUPlot = typeof window.uPlot === 'function';
if (!hasUPlot) {
  for (const c of Object.values(charts)) c.box.append(el('p', { class: 'empty', text: 'charts unavailable: /vendor/uplot.js did not load' }));
}

function chartWidth(box) {
  return Math.max(240, Math.floor(box.clientWidth || box.getBoundingClientRect().width || 600));
}

function fmtAxis(_u, values) {
  return values.map((v) => (v == null ? '' : Math.abs(v) >= 1000 ? `${+(v / 1000).toFixed(1)}k` : String(+v.toFixed(2))));
}

function makePlot(chart, series, axes, data) {
  chart.plot?.destroy();
  chart.box.replaceChildren();
  chart.plot = new window.uPlot({
    width: chartWidth(chart.box),
    height: CHART_HEIGHT,
    series: [{}, ...series],
    axes: [{ space: 70 }, ...axes.slice(1)],
    scales: { x: { time: true } },
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
  }, data, chart.box);
}

function drawCharts() {
  if (!hasUPlot || history.x.length === 0) return;
  const names = [...history.engines.keys()];
  const x = history.x;

  // Throughput: one series per engine (left axis) and their total (right axis).
  const msgsKey = names.join('\n');
  const msgsData = [x, history.total, ...names.map((n) => history.engines.get(n).msgs)];
  if (charts.msgs.key !== msgsKey) {
    charts.msgs.key = msgsKey;
    makePlot(charts.msgs, [
      { label: 'total', scale: 'total', stroke: '#111', width: 2, value: (_u, v) => fmtRate(v) },
      ...names.map((n, i) => ({ label: n, scale: 'msgs', stroke: PALETTE[i % PALETTE.length], width: 1, value: (_u, v) => fmtRate(v) })),
    ], [
      {},
      { scale: 'msgs', values: fmtAxis, size: 50 },
      { scale: 'total', side: 1, values: fmtAxis, size: 50, grid: { show: false } },
    ], msgsData);
  } else {
    charts.msgs.plot.setData(msgsData);
  }

  // Latency: the mean of the engines, and one engine picked in the select.
  syncLatencyOptions(names);
  const picked = history.engines.get(latencySelect.value);
  const blank = x.map(() => null);
  const latencyData = [x, history.p50, history.p99, picked ? picked.p50 : blank, picked ? picked.p99 : blank];
  if (charts.latency.plot === null) {
    makePlot(charts.latency, [
      { label: 'mean p50', stroke: '#2ca02c', width: 2, value: (_u, v) => fmtRate(v) },
      { label: 'mean p99', stroke: '#d62728', width: 2, value: (_u, v) => fmtRate(v) },
      { label: 'engine p50', stroke: '#1f77b4', width: 1, dash: [4, 3], value: (_u, v) => fmtRate(v) },
      { label: 'engine p99', stroke: '#9467bd', width: 1, dash: [4, 3], value: (_u, v) => fmtRate(v) },
    ], [{}, { values: fmtAxis, size: 50 }], latencyData);
  } else {
    charts.latency.plot.setData(latencyData);
  }

  // Mailboxes: messages waiting in all of them, and in the fullest one.
  const depthData = [x, history.depth, history.maxDepth];
  if (charts.depth.plot === null) {
    makePlot(charts.depth, [
      { label: 'waiting, all', stroke: '#ff7f0e', width: 2, fill: 'rgba(255,127,14,0.12)' },
      { label: 'fullest mailbox', stroke: '#8c564b', width: 1 },
    ], [{}, { values: fmtAxis, size: 50 }], depthData);
  } else {
    charts.depth.plot.setData(depthData);
  }
}

function syncLatencyOptions(names) {
  const have = new Set([...latencySelect.options].map((o) => o.value));
  for (const n of names) {
    if (!have.has(n)) latencySelect.append(el('option', { value: n, text: n }));
  }
  if (latencySelect.value === '' && names.length > 0 && !latencySelect.dataset.touched) latencySelect.value = names[0];
}
latencySelect.addEventListener('change', () => {
  latencySelect.dataset.touched = 'true';
});

// Charts follow their boxes' widths.
if (hasUPlot && typeof ResizeObserver === 'function') {
  const ro = new ResizeObserver(() => {
    for (const c of Object.values(charts)) {
      if (c.plot && Math.abs(c.plot.width - chartWidth(c.box)) > 2) c.plot.setSize({ width: chartWidth(c.box), height: CHART_HEIGHT });
    }
  });
  for (const c of Object.values(charts)) ro.observe(c.box);
}

// ---------------------------------------------------------------------------------------------
// Caches, kernels, bus: keyed rows, updated in place.

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

function dropRows(map, seen) {
  for (const [k, r] of map) {
    if (!seen.has(k)) {
      r.tr.remove();
      map.delete(k);
    }
  }
}

function placeholder(tbody, colspan, text, show) {
  let p = tbody.querySelector('tr.placeholder');
  if (show && !p) {
    p = el('tr', { class: 'placeholder' }, el('td', { colspan: String(colspan), class: 'empty', text }));
    tbody.append(p);
  } else if (!show && p) {
    p.remove();
  }
}

const cacheBody = $('[data-testid="caches"] tbody');
const cacheRows = new Map();

function renderCaches(snap, multiHost) {
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
  dropRows(cacheRows, seen);
  placeholder(cacheBody, 7, 'no caches', cacheRows.size === 0);
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

function renderKernels(snap, multiHost) {
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
  dropRows(kernelRows, seen);
  placeholder(kernelBody, 7, 'no kernel calls yet', kernelRows.size === 0);
}

const busBox = $('[data-testid="bus"]');
const busCells = new Map();

/** The bus's figures, whatever they are: its scalar leaves, two levels deep, as name/value pairs. */
function renderBus(snap) {
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
  for (const [name, cell] of busCells) {
    if (!seen.has(name)) {
      cell.wrap.remove();
      busCells.delete(name);
    }
  }
  if (leaves.length === 0 && !busBox.querySelector('.empty')) {
    list?.remove();
    busBox.append(el('p', { class: 'empty', text: 'embedded (no bus)' }));
  }
}

// ---------------------------------------------------------------------------------------------
// One snapshot in.

function applySnapshot(snap) {
  if (!snap || typeof snap !== 'object' || !Array.isArray(snap.hosts)) return;
  const prev = dash.lastSnapshot;
  if (prev && isNum(prev.ts) && isNum(snap.ts) && snap.ts <= prev.ts) return; // older or the same
  dash.snapshots++;
  lastSnapshotAt = Date.now();
  const engines = [];
  const byName = new Map();
  for (const h of snap.hosts) {
    for (const e of Array.isArray(h.engines) ? h.engines : []) {
      const entry = { host: h.host, e };
      engines.push(entry);
      byName.set(String(e.name), entry);
    }
  }
  const multiHost = snap.hosts.length > 1;
  diffSnapshots(prev, engines, snap);
  renderEngines(engines, multiHost);
  refreshTreeSpecs(snap);
  renderTrees(snap, byName);
  recordHistory(snap, engines);
  drawCharts();
  renderCaches(snap, multiHost);
  renderKernels(snap, multiHost);
  renderBus(snap);
  dash.lastSnapshot = snap;
  renderHeader(snap, engines);
  if (dash.connection === 'stale') setConnection('live');
}

// ---------------------------------------------------------------------------------------------
// The stream, reconnected with backoff.

let socket = null;
let retryMs = RETRY_MIN_MS;
let lastSnapshotAt = 0;
let everConnected = false;

function streamUrl() {
  const u = new URL('/stream', location.href);
  u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.href;
}

function connect() {
  setConnection(everConnected ? 'reconnecting' : 'connecting');
  let ws;
  try {
    ws = new WebSocket(streamUrl());
  } catch (err) {
    scheduleReconnect();
    return;
  }
  socket = ws;
  ws.addEventListener('open', () => {
    retryMs = RETRY_MIN_MS;
    if (everConnected) addEvent('connection', null, 'stream reconnected');
    everConnected = true;
    setConnection('live');
    ws.send(JSON.stringify({ op: 'subscribe', patterns: ['$snapshot'] }));
  });
  ws.addEventListener('message', (ev) => {
    let m;
    try {
      m = JSON.parse(ev.data);
    } catch {
      return; // not JSON: not for us
    }
    if (m && m.topic === '$snapshot') applySnapshot(m.data);
    else if (m && m.type === 'dropped' && isNum(m.count)) {
      dash.dropped += m.count;
      addEvent('dropped', null, `${m.count} message(s) dropped: this page was too slow for the stream`);
    }
  });
  ws.addEventListener('close', () => {
    if (socket !== ws) return;
    socket = null;
    if (everConnected && dash.connection === 'live') addEvent('connection', null, 'stream lost; reconnecting');
    scheduleReconnect();
  });
}

function scheduleReconnect() {
  const wait = Math.round(retryMs * (0.8 + Math.random() * 0.4));
  retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
  setConnection('reconnecting', `offline, retry in ${(wait / 1000).toFixed(1)} s`);
  setTimeout(connect, wait);
}

setInterval(() => {
  if (dash.connection === 'live' && lastSnapshotAt > 0 && Date.now() - lastSnapshotAt > STALE_AFTER_MS) {
    setConnection('stale', `stale: no snapshot for ${Math.round((Date.now() - lastSnapshotAt) / 1000)} s`);
  } else if (dash.connection === 'stale') {
    setText(header.connText, `stale: no snapshot for ${Math.round((Date.now() - lastSnapshotAt) / 1000)} s`);
  }
}, 1000);

// A first paint from GET /snapshot while the stream connects.
fetch('/snapshot', { headers: { accept: 'application/json' } })
  .then((res) => (res.ok ? res.json() : null))
  .then((snap) => {
    if (snap) applySnapshot(snap);
  })
  .catch(() => {
    // the stream brings the next one
  });
connect();
