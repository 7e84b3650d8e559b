// The data: GET /snapshot once for the first paint, then the WebSocket /stream, subscribed to
// `$snapshot` (a snapshot pushed every 500 ms by default), reconnected with backoff when it drops,
// and shown as stale when an open stream brings no snapshot for a while.
import { addEvent } from './events.js';
import { isNum } from './format.js';
import { setConnection } from './header.js';
import { dash } from './state.js';

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5000;
const STALE_AFTER_MS = 3000; // no snapshot for this long on an open stream: shown as stale

let socket = null;
let retryMs = RETRY_MIN_MS;
let lastSnapshotAt = 0;
let everConnected = false;
let onSnapshot = () => {};

/** Tells the stale watch that a snapshot was taken in. */
export function snapshotSeen() {
  lastSnapshotAt = Date.now();
}

/** Starts it all: every snapshot, from GET /snapshot or the stream, goes to `apply`. */
export function startStream(apply) {
  onSnapshot = apply;
  setInterval(() => {
    const stale = dash.connection === 'live' && lastSnapshotAt > 0 && Date.now() - lastSnapshotAt > STALE_AFTER_MS;
    if (stale || dash.connection === 'stale') {
      setConnection('stale', `stale: no snapshot for ${Math.round((Date.now() - lastSnapshotAt) / 1000)} s`);
    }
  }, 1000);

  // A first paint from GET /snapshot while the stream connects.
  fetch('/snapshot', { headers: { accept: 'application/json' } })
    .then((res) => (res.ok ? res.json() : null))
    .then((snap) => {
      if (snap) onSnapshot(snap);
    })
    .catch(() => {
      // the stream brings the next one
    });
  connect();
}

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
  } catch {
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
    if (m && m.topic === '$snapshot') onSnapshot(m.data);
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
