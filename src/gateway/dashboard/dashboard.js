// The desk's live dashboard: this entry wires its parts, plain browser ES modules with no build
// step (the gateway serves this directory as it is, and uPlot, its IIFE build, the global `uPlot`,
// from /vendor/uplot.js, loaded before).
//
//   connection.js   GET /snapshot, then the WebSocket /stream with reconnect and backoff
//   header.js       the figures at the top and the stream's state
//   tree.js         the supervision tree per host
//   engines.js      the engines table and the kill drills
//   charts.js       the uPlot charts
//   side-tables.js  caches, kernels, bus
//   events.js       the event list, from what changed between snapshots
//   format.js, dom.js, state.js: shared helpers and what the page knows (window.__dashboard)
//
// Every snapshot updates the page in place: each figure lives in one DOM cell that is written only
// when its text changes, tables keep one row per key, the supervision tree is rebuilt only when its
// shape changes, and the charts get new data with setData. Restarts and failures become events by
// comparing each snapshot with the one before.
//
// For tests: data-testid attributes on the parts (engine-<name> rows whose cells carry data-field,
// kill-<name> buttons, host-<host> trees, updated-at, snapshot-count, events), and
// window.__dashboard = { snapshots, lastSnapshot, events, connection, dropped }.
import { dash } from './state.js';
import { isNum } from './format.js';
import { renderHeader, setConnection } from './header.js';
import { renderTrees } from './tree.js';
import { renderEngines } from './engines.js';
import { renderCharts } from './charts.js';
import { renderBus, renderCaches, renderKernels } from './side-tables.js';
import { diffSnapshots } from './events.js';
import { snapshotSeen, startStream } from './connection.js';

/** One snapshot in (one older than the last, or the same, is ignored). */
function applySnapshot(snap) {
  if (!snap || typeof snap !== 'object' || !Array.isArray(snap.hosts)) return;
  const prev = dash.lastSnapshot;
  if (prev && isNum(prev.ts) && isNum(snap.ts) && snap.ts <= prev.ts) return; // older or the same
  dash.snapshots++;
  snapshotSeen();
  const engines = []; // [{ host, e }]
  const byName = new Map(); // engine name -> { host, e }
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
  renderTrees(snap, byName);
  renderCharts(snap, engines);
  renderCaches(snap, multiHost);
  renderKernels(snap, multiHost);
  renderBus(snap);
  dash.lastSnapshot = snap;
  renderHeader(snap, engines);
  if (dash.connection === 'stale') setConnection('live');
}

startStream(applySnapshot);
