/**
 * The entry of every actor's worker thread. It loads the actor module at once, then waits for the
 * host's `attach` message: the mailbox block to consume (the host owns it, so it outlives this
 * worker), the peers, and the snapshot to restore. A standby worker waits there, loaded, so that a
 * restart does not pay for starting a thread and loading code.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { AnyActorDefinition } from '../transport/contract.js';
import { listenForControl } from '../transport/control.js';
import { Endpoint } from '../transport/endpoint/endpoint.js';
import { Mailbox } from '../transport/ring/mailbox.js';
import { createIdle, type ParkTarget } from '../transport/ring/idle.js';
import {
  ActorState,
  serializeError,
  type AttachMessage,
  type ControlFromWorker,
  type WorkerBoot,
} from '../transport/protocol.js';
import { ThreadCaches } from '../cache/thread-caches.js';
import { ActorContextImpl } from './context.js';
import { isActorDefinition } from './define.js';
import { KernelClient } from './kernel-client.js';
import { ActorLoop, ReceiveFailed } from './loop.js';
import { SelfMessages } from './self-messages.js';
import { EventReporter } from './events.js';

const boot = workerData as WorkerBoot;
const port = parentPort!;
const post = (m: ControlFromWorker): void => port.postMessage(m);
const events = new EventReporter(post);

let def: AnyActorDefinition | undefined;
let loadError: unknown;
try {
  const mod = (await import(boot.moduleUrl)) as { default?: unknown };
  if (!isActorDefinition(mod.default)) {
    throw new TypeError(`${boot.moduleUrl} must export default defineActor({...}); its default export is ${describe(mod.default)}`);
  }
  def = mod.default;
} catch (err) {
  loadError = err;
}

port.once('message', (m: AttachMessage) => void attach(m));
post({ type: 'loaded' });

async function attach(m: AttachMessage): Promise<void> {
  const mailbox = new Mailbox(m.self.block, m.self.messagesBytes, m.self.repliesBytes);
  const endpoint = new Endpoint({
    id: m.self.id,
    name: m.self.name,
    mailbox,
    compressAbove: boot.compressAbove,
    latencySampleEvery: boot.latencySampleEvery,
    onBadFrame: (err) => events.report('bad-frame', err),
  });
  endpoint.setPeers(m.peers);
  endpoint.setSubscriptions(m.subscriptions);
  endpoint.setRemote(m.remote);

  let loop: ActorLoop | undefined;
  let stop: { drain: boolean } | undefined;
  const kernels = new KernelClient(post);
  const control = listenForControl(
    port,
    endpoint,
    m.controlCount,
    (drain) => {
      stop = { drain };
      loop?.requestStop(drain);
    },
    { answered: (m) => kernels.answered(m), lane: (m) => kernels.addLane(m) },
  );
  // A kernel answer on a lane is read by the event loop: a loop that sees one coming gives it a turn.
  const controlPending = (): boolean => control.pending() || kernels.answerPending();

  const selfMessages = new SelfMessages(mailbox.doorbell);
  const caches = new ThreadCaches(m.caches, m.cacheParticipant, m.cacheGeneration);
  const ctx = new ActorContextImpl(endpoint, boot.askTimeoutMs, kernels, (msg) => selfMessages.push(msg), (name) => caches.cache(name));
  let state: unknown;
  try {
    if (def === undefined) throw loadError;
    state =
      m.snapshot !== undefined && def.restore !== undefined
        ? await def.restore(m.snapshot.data, ctx)
        : def.init === undefined
          ? undefined
          : await def.init(ctx);
  } catch (err) {
    post({ type: 'init-failed', error: serializeError(err) });
    return;
  }
  const actor = def;
  // Atomics.waitAsync alone does not keep a worker alive: hold a ref'd handle while the actor runs.
  const keepAlive = setInterval(() => {}, 1 << 30);
  mailbox.setState(ActorState.Running);
  post({ type: 'ready', subscribe: [...(actor.subscribe ?? [])] });

  let lastSnapshot = 0;
  const snapshot = (force: boolean): void => {
    if (actor.snapshot === undefined || loop === undefined) return;
    const now = performance.now();
    if (!force && now - lastSnapshot < boot.snapshotIntervalMs) return;
    lastSnapshot = now;
    try {
      post({ type: 'snapshot', data: actor.snapshot(loop.currentState()) });
    } catch (err) {
      events.report('snapshot-error', err); // a throwing hook, or a value structured clone refuses
    }
  };
  const target: ParkTarget = {
    doorbell: mailbox.doorbell,
    // A reply deferred for lack of room is retried on every turn, so stay awake until it fits.
    hasWork: () => mailbox.hasWork() || endpoint.hasDeferredReplies() || selfMessages.size > 0,
    controlPending,
  };
  const idle = createIdle(boot.wait, target, { spinMicros: boot.spinMicros, parkTimeoutMs: boot.parkTimeoutMs });
  loop = new ActorLoop(
    endpoint,
    actor,
    state,
    ctx,
    idle,
    { onError: (kind, err) => events.report(kind, err), onIdle: () => snapshot(false) },
    { onError: boot.onError, staleClaimMs: boot.staleClaimMs, beatEveryMs: Math.min(1000, boot.hangTimeoutMs / 4) },
    controlPending,
    selfMessages,
  );
  if (stop !== undefined) loop.requestStop(stop.drain);
  try {
    await loop.run();
  } catch (err) {
    if (!(err instanceof ReceiveFailed)) throw err;
    if (boot.onError === 'restart') snapshot(true);
    events.flush();
    kernels.flush();
    // Uncaught on purpose: the worker dies with the handler's own error, which the host logs; the
    // FAILURE word tells it which directive applies, and the message in hand is delivered again.
    throw err.error;
  }
  try {
    await actor.stop?.(loop.currentState(), ctx);
  } catch (err) {
    events.report('stop-hook-error', err);
  }
  snapshot(true);
  events.flush();
  kernels.flush();
  clearInterval(keepAlive);
  post({ type: 'stopped' });
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object not made by defineActor' : `a ${typeof v}`;
}
