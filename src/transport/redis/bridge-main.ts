/**
 * The entry of a host's bridge worker: maps the bridge's mailbox block, connects to both buses and
 * runs the bridge until the host stops it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { listenForControl } from '../control.js';
import { Endpoint } from '../endpoint/endpoint.js';
import { Mailbox } from '../ring/mailbox.js';
import { ActorState, BRIDGE_ID, BRIDGE_NAME, serializeError } from '../protocol.js';
import { Bridge } from './bridge.js';
import type { BridgeBoot, BridgeToHost } from './bridge-protocol.js';

const boot = workerData as BridgeBoot;
const port = parentPort!;
const post = (m: BridgeToHost): void => port.postMessage(m);
const mailbox = new Mailbox(boot.self.block, boot.self.messagesBytes, boot.self.repliesBytes);
const endpoint = new Endpoint({
  id: BRIDGE_ID,
  name: BRIDGE_NAME,
  mailbox,
  compressAbove: boot.compressAbove,
  latencySampleEvery: boot.latencySampleEvery,
  onBadFrame: (err) => post({ type: 'bus-event', event: 'bad-frame', detail: { from: 'ring' }, error: serializeError(err) }),
});
endpoint.setPeers(boot.peers);
endpoint.setSubscriptions(boot.subscriptions);

// drain false: the host begins to shut down (stop taking messages in); true: the final stop.
const control = listenForControl(port, endpoint, boot.controlCount, (drain) => {
  if (!drain) return bridge.stopReceiving();
  clearInterval(stats);
  void bridge.stop().then(() => {
    post({ type: 'bus-stats', counters: bridge.figures() });
    post({ type: 'stopped' });
    port.close();
  });
});
const bridge = new Bridge(
  endpoint,
  boot.options,
  {
    directory: (actors, patterns) => post({ type: 'directory', actors, patterns }),
    event: (event, detail, error) => post({ type: 'bus-event', event, detail, ...(error !== undefined ? { error } : {}) }),
  },
  control,
  boot.staleClaimMs,
);
const stats = setInterval(() => post({ type: 'bus-stats', counters: bridge.figures() }), 250);

mailbox.setState(ActorState.Running);
bridge.start().then(
  () => post({ type: 'ready' }),
  (err: unknown) => post({ type: 'start-failed', error: serializeError(err) }),
);
