// Events: restarts, failures, dead letters, engines and hosts coming and going (what changed
// between two snapshots), drills, and the stream's own ups and downs. Newest first, the last
// EVENTS_KEPT kept, in the list and in window.__dashboard.events.
import { $, el } from './dom.js';
import { fmtMs, fmtTime, isNum, viaRisen } from './format.js';
import { dash } from './state.js';

const EVENTS_KEPT = 200;
const eventList = $('[data-testid="events"]');

export function addEvent(kind, engine, text, ts = Date.now()) {
  const ev = { ts, kind, engine, text };
  dash.events.push(ev);
  if (dash.events.length > EVENTS_KEPT) dash.events.shift();
  const li = el('li', { 'data-kind': kind, 'data-engine': engine ?? undefined },
    el('time', { text: fmtTime(ts).slice(0, 8) }), el('span', { class: 'ev-text', text }));
  eventList.prepend(li);
  while (eventList.childElementCount > EVENTS_KEPT) eventList.lastElementChild.remove();
}

/** How long the latest recoveries took, from the mean time to recover before and after them. */
function recoveryMs(before, after) {
  const n = after.restarts - before.restarts;
  if (!isNum(after.mttrMs) || n <= 0) return undefined;
  const total = after.mttrMs * after.restarts - (isNum(before.mttrMs) ? before.mttrMs * before.restarts : 0);
  return total > 0 ? total / n : after.mttrMs;
}

const ALARMING = new Set(['failed', 'restarting', 'stopping', 'stopped']);

/** The events between `prev` (none for the first snapshot: no events) and `snap`, whose engines are `engines`. */
export function diffSnapshots(prev, engines, snap) {
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
      const via = viaRisen(p.restartsVia, e.restartsVia);
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
