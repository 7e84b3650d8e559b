// The engines table: one row per engine, its cells written in place, and a kill button per engine
// (a failure drill: POST /engines/<name>/kill, its supervisor restarts it).
import { $, dropUnseen, el, setAttr, setText } from './dom.js';
import { fmtCount, fmtMs, fmtPct, fmtRate, fmtTime, isNum, stateClass, viaRisen } from './format.js';
import { addEvent } from './events.js';

const engineBody = $('[data-testid="engines"] tbody');
const rows = new Map(); // name -> { tr, cells, kill, result, hot, busy }
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

/** `engines`: [{ host, e }], every engine of the snapshot. */
export function renderEngines(engines, multiHost) {
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
    const v = viaRisen(null, e.restartsVia).map((k) => `${k} ${e.restartsVia[k]}`).join(', ');
    setAttr(c.restarts, 'title', v ? `restarts by path: ${v}` : 'no restarts');
    hot(row, 'errors', e.errors, now);
    hot(row, 'restarts', e.restarts, now);
    row.kill.disabled = row.busy || e.state === 'stopped' || e.state === 'stopping';
  }
  dropUnseen(rows, seen, (row) => row.tr);
}

/** Highlights a count for a while after it rose. */
function hot(row, field, value, now) {
  const h = row.hot[field] ?? (row.hot[field] = { value, until: 0 });
  if (isNum(value) && isNum(h.value) && value > h.value) h.until = now + HOT_MS;
  h.value = value;
  row.cells[field].classList.toggle('hot', now < h.until);
}

function showResult(row, text, outcome) {
  setText(row.result, text);
  row.result.className = `drill-result ${outcome}`;
}

async function drill(name, row) {
  if (row.busy) return;
  row.busy = true;
  row.kill.disabled = true;
  showResult(row, 'killing…', 'pending');
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
      showResult(row, 'killed', 'ok');
      setAttr(row.result, 'title', `killed at ${fmtTime(Date.now())}; its supervisor restarts it`);
      addEvent('drill', name, `drill: ${name}'s worker killed (HTTP ${res.status})`);
    } else {
      const why = body && (body.message || body.error) ? `: ${body.message || body.error}` : '';
      showResult(row, `refused (${res.status})`, 'bad');
      addEvent('drill-refused', name, `drill on ${name} refused (HTTP ${res.status}${why})`);
    }
  } catch (err) {
    showResult(row, 'failed', 'bad');
    addEvent('drill-refused', name, `drill on ${name} failed: ${err && err.message ? err.message : err}`);
  } finally {
    // One drill at a time per engine, and not twice in a blink.
    setTimeout(() => {
      row.busy = false;
      row.kill.disabled = row.tr.dataset.state === 'stopped';
    }, 1000);
  }
}
