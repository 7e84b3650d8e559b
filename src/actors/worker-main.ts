/**
 * The entry of every actor's worker thread. It loads what it can before it is needed (the package
 * root; the actor's module when it was started for one actor), says 'loaded', and waits for the
 * host's `attach`: the actor to run (its module, imported now if it is not loaded yet: a warm
 * worker of the shared pool loads no actor's module before it is given one), the mailbox block to
 * consume (the host owns it, so it outlives this worker), its peers, and the snapshot to restore.
 *
 * The actor then runs in incarnations (incarnation.ts). When its own code fails (a receive that
 * throws with a directive other than 'resume', an uncaught exception, an unhandled rejection) and
 * its `inPlace` setting allows it, the incarnation is retired here (its loop ended, its timers
 * cleared, its asks and kernel calls abandoned, its ctx refusing to act) and the failure reported
 * ('failed'); its supervisor decides, and a 'restart' runs a new incarnation in this same worker,
 * on the same mailbox: the message in hand is delivered again. Where the supervisor approved that
 * restart ahead of time (RESTART_APPROVED in the mailbox block), the worker takes the approval and
 * restarts at once, then reports (restartAtOnce). Without `inPlace`, such a failure ends the
 * worker as it always did. A stopped actor waits the same way, for a restart or its end.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ActorKernels, AnyActorDefinition } from '../transport/contract.js';
import { listenForControl } from '../transport/control.js';
import { Endpoint } from '../transport/endpoint/endpoint.js';
import { IncarnationRetired } from '../transport/errors.js';
import { Mailbox } from '../transport/ring/mailbox.js';
import { createIdle, type ParkTarget } from '../transport/ring/idle.js';
import {
  ActorState,
  FailureCode,
  serializeError,
  type ActorBoot,
  type AttachMessage,
  type ControlFromWorker,
  type FailureOrigin,
  type IncarnationStart,
  type PrepareMessage,
  type RestartMessage,
  type WorkerBoot,
} from '../transport/protocol.js';
import { ThreadCaches } from '../cache/thread-caches.js';
import { ActorContextImpl } from './context.js';
import { isActorDefinition } from './define.js';
import { EventReporter } from './events.js';
import { enter, Incarnation, trackTimers } from './incarnation.js';
import { KernelClient } from './kernel-client.js';
import { ActorLoop, ReceiveFailed } from './loop.js';
import { SelfMessages } from './self-messages.js';
import { announceExit, catchFailures, dieWith } from './worker-failures.js';

const boot = workerData as WorkerBoot;
const port = parentPort!;
const post = (m: ControlFromWorker): void => port.postMessage(m);
const events = new EventReporter(post);

interface Loaded {
  url: string;
  def?: AnyActorDefinition;
  error?: unknown;
}

/** What ended an incarnation. */
type Ending =
  | { kind: 'stopped' }
  | { kind: 'receive'; error: unknown }
  | { kind: 'uncaught'; origin: FailureOrigin; error: unknown }
  | { kind: 'broken'; error: unknown };

/** The incarnation running now: where an uncaught failure goes, and where a stop request goes. */
interface Running {
  fail(origin: FailureOrigin, error: unknown): void;
  requestStop(drain: boolean): void;
}

let running: Running | undefined;

// Before any actor module is imported: the timers an incarnation starts are its own.
trackTimers();
announceExit(post);
for (const url of boot.preload) await import(url);
const preloaded = boot.moduleUrl === undefined ? undefined : await loadActor(boot.moduleUrl);

port.once('message', (m: AttachMessage) => {
  attach(m).catch((err: unknown) => dieWith(err, events));
});
post({ type: 'loaded' });

async function attach(m: AttachMessage): Promise<void> {
  const actor = m.actor;
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

  const kernels = new KernelClient(post);
  const control = listenForControl(
    port,
    endpoint,
    m.controlCount,
    (drain) => running?.requestStop(drain),
    { answered: (a) => kernels.answered(a), lane: (l) => kernels.addLane(l) },
  );
  // A kernel answer on a lane is read by the event loop: a loop that sees one coming gives it a turn.
  const controlPending = (): boolean => control.pending() || kernels.answerPending();
  const worker: WorkerParts = { actor, def: { url: actor.moduleUrl }, mailbox, endpoint, kernels, controlPending, snapshot: m.snapshot, prepared: undefined };
  const restarts = restartsFrom(port, (p) => (worker.prepared = p));
  if (actor.inPlace) catchFailures(() => running, events);
  // Only now, with every listener in place (control messages may come while it loads).
  worker.def = preloaded?.url === actor.moduleUrl ? preloaded : await loadActor(actor.moduleUrl);

  let start: IncarnationStart = m;
  for (;;) {
    const ended = await runIncarnation(worker, start);
    if (ended === 'failed-to-start') return; // the host ends this worker
    if (ended !== 'retired') {
      start = ended; // restarted at once: the supervisor had approved it ahead of time
      continue;
    }
    // Retired; the host decides: run the actor again here, or end this worker.
    start = await restarts.next();
  }
}

interface WorkerParts {
  actor: ActorBoot;
  def: Loaded;
  mailbox: Mailbox;
  endpoint: Endpoint;
  kernels: KernelClient;
  controlPending: () => boolean;
  /** The last snapshot of the actor (what a restart here restores). */
  snapshot: { data: unknown } | undefined;
  /** Where an approved restart's incarnation starts (its cache slot), once the host sent it. */
  prepared: PrepareMessage | undefined;
}

/**
 * One incarnation, from init (or restore) to its stop or failure; resolves once it is retired and
 * the host told: 'retired', or where the next incarnation starts when it restarts at once.
 */
async function runIncarnation(w: WorkerParts, start: IncarnationStart): Promise<'retired' | 'failed-to-start' | IncarnationStart> {
  const { actor, mailbox, endpoint, kernels } = w;
  const inc = new Incarnation();
  enter(inc);
  if (start.snapshot !== undefined) w.snapshot = start.snapshot;
  // After a restart here the rings were recovered (by the host, or just now by this thread: the
  // message in hand, what the last incarnation finished): read on from where that left them.
  mailbox.messages.resyncConsumer();
  mailbox.replies.resyncConsumer();

  let failed!: (e: Ending) => void;
  const failure = new Promise<Ending>((resolve) => (failed = resolve));
  let loop: ActorLoop | undefined;
  let stop: { drain: boolean } | undefined;
  running = {
    fail: (origin, error) => failed({ kind: 'uncaught', origin, error }),
    requestStop: (drain) => {
      stop = { drain };
      loop?.requestStop(drain);
    },
  };

  const selfMessages = new SelfMessages(mailbox.doorbell);
  const caches = new ThreadCaches(start.caches, start.cacheParticipant, start.cacheGeneration);
  const ctx = new ActorContextImpl(endpoint, boot.askTimeoutMs, kernelsOf(inc, kernels, endpoint.name), (msg) => selfMessages.push(msg), (name) => caches.cache(name));
  const retire = (): void => {
    running = undefined;
    loop?.abandon();
    mailbox.doorbell.wakeAll(); // an abandoned loop parked on the doorbell leaves the line (and then returns)
    ctx.retire();
    endpoint.abandonAsks();
    kernels.abandonAll();
    inc.retire(); // its timers: cleared
    events.flush();
    kernels.flush();
  };

  let state: unknown;
  try {
    const def = w.def.def;
    if (def === undefined) throw w.def.error;
    const initial =
      start.snapshot !== undefined && def.restore !== undefined
        ? def.restore(start.snapshot.data, ctx)
        : def.init === undefined
          ? undefined
          : def.init(ctx);
    // An uncaught failure while init awaits fails the start, as the death of its worker would.
    const failedInInit = failure.then((e) => Promise.reject((e as { error: unknown }).error));
    failedInInit.catch(() => {}); // once init is done, nobody waits on this
    state = await Promise.race([initial, failedInInit]);
  } catch (err) {
    retire();
    post({ type: 'init-failed', error: serializeError(err) });
    return 'failed-to-start';
  }
  const def = w.def.def!;
  // Atomics.waitAsync alone does not keep a worker alive: hold a ref'd handle while the actor runs.
  setInterval(() => {}, 1 << 30); // the incarnation's: cleared when it retires
  mailbox.setState(ActorState.Running);
  post({ type: 'ready', subscribe: [...(def.subscribe ?? [])] });

  let lastSnapshot = 0;
  let trailing: ReturnType<typeof setTimeout> | undefined;
  const snapshot = (force: boolean): void => {
    if (def.snapshot === undefined || loop === undefined) return;
    const now = performance.now();
    const wait = actor.snapshotIntervalMs - (now - lastSnapshot);
    if (!force && wait > 0) {
      // Too soon after the last one: taken when the interval is up rather than dropped, or a
      // change followed by silence (an order, then nothing for a while) would never be kept. If a
      // handler is under way then, its end (the next idle turn) takes it instead.
      trailing ??= setTimeout(() => {
        trailing = undefined;
        if (!inc.retired && loop?.betweenMessages) snapshot(false); // (a retired incarnation's timers are cleared anyway)
      }, Math.ceil(wait));
      return;
    }
    clearTimeout(trailing);
    trailing = undefined;
    lastSnapshot = now;
    try {
      const data = def.snapshot(loop.currentState());
      post({ type: 'snapshot', data });
      w.snapshot = { data };
    } catch (err) {
      events.report('snapshot-error', err); // a throwing hook, or a value structured clone refuses
    }
  };
  const target: ParkTarget = {
    doorbell: mailbox.doorbell,
    // A reply deferred for lack of room is retried on every turn, so stay awake until it fits.
    hasWork: () => mailbox.hasWork() || endpoint.hasDeferredReplies() || selfMessages.size > 0,
    controlPending: w.controlPending,
  };
  const idle = createIdle(actor.wait, target, { spinMicros: actor.spinMicros, parkTimeoutMs: actor.parkTimeoutMs });
  loop = new ActorLoop(
    endpoint,
    def,
    state,
    ctx,
    idle,
    { onError: (kind, err) => events.report(kind, err), onIdle: () => snapshot(false) },
    { onError: actor.onError, staleClaimMs: boot.staleClaimMs, beatEveryMs: Math.min(1000, actor.hangTimeoutMs / 4) },
    w.controlPending,
    selfMessages,
  );
  if (stop !== undefined) loop.requestStop(stop.drain);
  const ran: Promise<Ending> = loop.run().then(
    (): Ending => ({ kind: 'stopped' }),
    (err: unknown): Ending => (err instanceof ReceiveFailed ? { kind: 'receive', error: err.error } : { kind: 'broken', error: err }),
  );
  const ending = await Promise.race([ran, failure]);

  if (ending.kind === 'stopped') {
    try {
      await def.stop?.(loop.currentState(), ctx);
    } catch (err) {
      events.report('stop-hook-error', err);
    }
    snapshot(true);
    retire();
    post({ type: 'stopped' });
    return 'retired';
  }
  if (ending.kind === 'broken') throw ending.error; // the runtime's own failure: this worker ends
  if (ending.kind === 'receive') {
    if (actor.onError === 'restart') snapshot(true);
    if (!actor.inPlace) {
      retire();
      // Uncaught on purpose: the worker dies with the handler's own error, which the host logs; the
      // FAILURE word tells it which directive applies, and the message in hand is delivered again.
      dieWith(ending.error, events);
      return new Promise(() => {});
    }
    retire();
    const report = { type: 'failed', origin: 'receive', directive: actor.onError, error: serializeError(ending.error) } as const;
    return actor.onError === 'restart' && stop === undefined ? restartAtOnce(w, report) : (post(report), 'retired');
  }
  retire();
  const report = { type: 'failed', origin: ending.origin, error: serializeError(ending.error) } as const;
  return stop === undefined ? restartAtOnce(w, report) : (post(report), 'retired');
}

/**
 * A failure the supervisor would answer with an immediate restart of this actor alone: when it
 * approved that ahead of time (RESTART_APPROVED, see supervisors/approval.ts), the worker takes the
 * approval and restarts at once, doing what the host would have done first (recovering the rings,
 * counting the delivery against maxDeliveries), and tells the host after; one round trip less.
 * Otherwise (no approval, or the message in hand is due for the dead letters, which the host
 * handles) it reports the failure and waits for the host's decision.
 */
function restartAtOnce(w: WorkerParts, failure: Extract<ControlFromWorker, { type: 'failed' }>): 'retired' | IncarnationStart {
  const { mailbox } = w;
  const messages = mailbox.messages;
  const prepared = w.prepared;
  const inHand = messages.busy();
  const position = messages.donePosition();
  const deliveries = inHand ? mailbox.failedDeliveries(position) : 0;
  if (prepared === undefined || deliveries >= w.actor.maxDeliveries || !mailbox.takeRestartApproval()) {
    post(failure);
    return 'retired';
  }
  // What the host does after a failure, done here: release what the last incarnation finished,
  // keep the message in hand at the head (busy cleared: it is delivered again), drop the answers
  // to the asks it abandoned, and count the delivery that failed.
  mailbox.recoverConsumers();
  mailbox.setPoison(position, deliveries);
  mailbox.setFailure(FailureCode.None);
  w.prepared = undefined;
  post({ ...failure, restarted: { at: performance.timeOrigin + performance.now(), redelivered: inHand } });
  const { type: _prepare, ...next } = prepared;
  return { ...next, ...(w.snapshot !== undefined ? { snapshot: w.snapshot } : {}) };
}

/** `ctx.kernels` of one incarnation: the worker's kernel client, refusing once the incarnation retired. */
function kernelsOf(inc: Incarnation, kernels: KernelClient, name: string): ActorKernels {
  return {
    run: (kernel, input, options) => (inc.retired ? Promise.reject(new IncarnationRetired(name)) : kernels.run(kernel, input, options)),
  };
}

/** The `restart` messages the host sends, one per retired incarnation it runs again (and its `prepare` messages). */
function restartsFrom(p: typeof port, prepared: (m: PrepareMessage) => void): { next(): Promise<RestartMessage> } {
  const queued: RestartMessage[] = [];
  let wake: (() => void) | undefined;
  p.on('message', (m: { type: string }) => {
    if (m.type === 'prepare') prepared(m as PrepareMessage);
    if (m.type !== 'restart') return;
    queued.push(m as RestartMessage);
    wake?.();
  });
  return {
    async next() {
      while (queued.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      return queued.shift()!;
    },
  };
}

async function loadActor(url: string): Promise<Loaded> {
  try {
    const mod = (await import(url)) as { default?: unknown };
    if (!isActorDefinition(mod.default)) {
      throw new TypeError(`${url} must export default defineActor({...}); its default export is ${describe(mod.default)}`);
    }
    return { url, def: mod.default };
  } catch (error) {
    return { url, error };
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object not made by defineActor' : `a ${typeof v}`;
}
