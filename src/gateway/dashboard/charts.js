// Charts (uPlot, the global `uPlot` from /vendor/uplot.js): a rolling window of WINDOW points;
// series per engine are rebuilt only when the set of engines changes, and every snapshot is one
// setData.
import { $, el } from './dom.js';
import { fmtRate, isNum } from './format.js';

const WINDOW = 120; // chart points kept (one per snapshot: a minute at 500 ms)
const CHART_HEIGHT = 180;
const PALETTE = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2',
  '#7f7f7f', '#bcbd22', '#17becf', '#393b79', '#ad494a', '#637939', '#843c39', '#5254a3', '#6b6ecf',
];

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

function pushEngine(h, msgs, p50, p99) {
  pushPoint(h.msgs, msgs);
  pushPoint(h.p50, p50);
  pushPoint(h.p99, p99);
}

/** One snapshot more in the charts; `engines`: [{ host, e }], every engine of the snapshot. */
export function renderCharts(snap, engines) {
  recordHistory(snap, engines);
  drawCharts();
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
    pushEngine(h, msgs, l50, l99);
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
    pushEngine(h, null, null, null);
    if (h.msgs.every((v) => v === null)) history.engines.delete(name);
  }
  pushPoint(history.total, total);
  pushPoint(history.depth, depth);
  pushPoint(history.maxDepth, maxDepth);
  pushPoint(history.p50, latN > 0 ? p50 / latN : null);
  pushPoint(history.p99, latN > 0 ? p99 / latN : null);
}

// key: what the chart was made for (the engines' names); null before it exists, since an empty
// desk's key is '' and would otherwise pass for a chart already made.
const charts = {
  msgs: { box: $('[data-testid="chart-msgs"]'), plot: null, key: null },
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

/** A series' value in the legend. */
const rateValue = (_u, v) => fmtRate(v);

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
      { label: 'total', scale: 'total', stroke: '#111', width: 2, value: rateValue },
      ...names.map((n, i) => ({ label: n, scale: 'msgs', stroke: PALETTE[i % PALETTE.length], width: 1, value: rateValue })),
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
      { label: 'mean p50', stroke: '#2ca02c', width: 2, value: rateValue },
      { label: 'mean p99', stroke: '#d62728', width: 2, value: rateValue },
      { label: 'engine p50', stroke: '#1f77b4', width: 1, dash: [4, 3], value: rateValue },
      { label: 'engine p99', stroke: '#9467bd', width: 1, dash: [4, 3], value: rateValue },
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
