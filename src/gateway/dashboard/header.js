// The header: hosts, availability, engines running, total msg/s and restarts, when the last
// snapshot was taken, how many came, and the state of the stream.
import { $, setAttr, setText } from './dom.js';
import { fmtCount, fmtPct, fmtRate, fmtTime, isNum } from './format.js';
import { dash } from './state.js';

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

export function setConnection(state, text = state) {
  dash.connection = state;
  setAttr(header.conn, 'data-state', state);
  setText(header.connText, text);
}

export function renderHeader(snap, engines) {
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
