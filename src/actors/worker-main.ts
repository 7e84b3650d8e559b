/**
 * The entry of every actor's worker thread: maps the mailbox block the host allocated, loads the
 * actor module, runs the actor loop, and obeys control messages from the host.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Endpoint } from '../transport/endpoint.js';
import { Mailbox } from '../transport/ring/mailbox.js';
import { createIdle, type ParkTarget } from '../transport/ring/idle.js';
import { ActorState, serializeError, type ControlFromWorker, type ControlToWorker, type WorkerBoot } from '../transport/protocol.js';
import { ActorContextImpl } from './context.js';
import { isActorDefinition } from './define.js';
import { ActorLoop } from './loop.js';
import { EventReporter } from './events.js';

const boot = workerData as WorkerBoot;
const port = parentPort!;
const post = (m: ControlFromWorker): void => port.postMessage(m);
const mailbox = new Mailbox(boot.self.block, boot.self.messagesBytes, boot.self.repliesBytes);
const events = new EventReporter(post);
const endpoint = new Endpoint({
  id: boot.self.id,
  name: boot.self.name,
  mailbox,
  compressAbove: boot.compressAbove,
  latencySampleEvery: boot.latencySampleEvery,
  onBadFrame: (err) => events.report('bad-frame', err),
});
endpoint.setPeers(boot.peers);
endpoint.setSubscriptions(boot.subscriptions);

let controlSeen = mailbox.doorbell.controlCount();
let loop: ActorLoop | undefined;
let stopRequested = false;

port.on('message', (m: ControlToWorker) => {
  switch (m.type) {
    case 'peers': endpoint.setPeers(m.peers); break;
    case 'down': endpoint.peerDown(m.id, m.reason, m.crashed); break;
    case 'subscriptions': endpoint.setSubscriptions(m.subscriptions); break;
    case 'stop':
      stopRequested = true;
      loop?.requestStop();
      break;
  }
  controlSeen++;
  post({ type: 'ack', seq: m.seq });
});

const target: ParkTarget = {
  doorbell: mailbox.doorbell,
  // A reply deferred for lack of room is retried on every turn, so stay awake until it fits.
  hasWork: () => mailbox.hasWork() || endpoint.hasDeferredReplies(),
  controlPending: () => mailbox.doorbell.controlCount() !== controlSeen,
};

async function main(): Promise<void> {
  const ctx = new ActorContextImpl(endpoint, boot.askTimeoutMs);
  let def;
  let state: unknown;
  try {
    const mod = (await import(boot.moduleUrl)) as { default?: unknown };
    def = mod.default;
    if (!isActorDefinition(def)) {
      throw new TypeError(`${boot.moduleUrl} must export default defineActor({...}); its default export is ${describe(def)}`);
    }
    state = def.init === undefined ? undefined : await def.init(ctx);
  } catch (err) {
    post({ type: 'init-failed', error: serializeError(err) });
    return;
  }
  // Atomics.waitAsync alone does not keep a worker alive: hold a ref'd handle while the actor runs.
  const keepAlive = setInterval(() => {}, 1 << 30);
  mailbox.setState(ActorState.Running);
  post({ type: 'ready', subscribe: [...(def.subscribe ?? [])] });
  const idle = createIdle(boot.wait, target, { spinMicros: boot.spinMicros, parkTimeoutMs: boot.parkTimeoutMs });
  loop = new ActorLoop(endpoint, def, state, ctx, idle, { onError: (kind, err) => events.report(kind, err) });
  if (stopRequested) loop.requestStop();
  await loop.run();
  try {
    await def.stop?.(loop.currentState(), ctx);
  } catch (err) {
    events.report('stop-hook-error', err);
  }
  events.flush();
  clearInterval(keepAlive);
  post({ type: 'stopped' });
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object not made by defineActor' : `a ${typeof v}`;
}

void main();
