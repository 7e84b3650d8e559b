import { MessageChannel, parentPort, threadId } from 'node:worker_threads';
import { Doorbell } from '../../transport/ring/doorbell.js';
import { covers, pickBackend, usableBackends, workOf } from '../calibration.js';
import type { BackendName, KernelDefinition } from '../define.js';
import { execute, failedOutcome, findKernel } from '../thread-kernels.js';
import { epochMs } from '../task.js';
import { markBegun } from '../begun-slots.js';
import {
  CANCEL_SLOTS,
  LANE_ANSWERED,
  LANE_CANCEL,
  LANE_RUNNING,
  LANE_STARTED,
  type HubMessage,
  type LaneAnswer,
  type LaneCall,
  type LaneConfig,
  type LaneHubHello,
} from './protocol.js';

/**
 * The pool-thread end of the lanes: announces this thread to the host (piscina passes worker
 * messages on), then serves each actor's lane the host opens. Calls run one at a time, in the order
 * they came on each lane; each answer is announced on the caller's doorbell, so a parked actor
 * wakes to read it. Returns the load word the thread counts its piscina tasks in as well.
 */
export function serveLanes(): ServedLanes {
  const load = new Int32Array(new SharedArrayBuffer(4));
  let config: LaneConfig | undefined;
  const served: ServedLanes = {
    load,
    began: (slot) => {
      if (slot !== undefined && config !== undefined) markBegun(config.begun, slot);
    },
  };
  if (parentPort === null) return served;
  const hub = new MessageChannel();
  const hello: LaneHubHello = { dualbusKernelLanes: hub.port2, threadId, load };
  parentPort.postMessage(hello, [hub.port2]);
  // One call at a time in this thread, across lanes: an async kernel must not interleave with the next.
  let serial = Promise.resolve();
  hub.port1.on('message', (m: HubMessage) => {
    if (m.type === 'config') {
      config = m.config;
      return;
    }
    const { port, words } = m;
    const doorbell = new Doorbell(m.doorbell);
    const answer = (a: LaneAnswer): void => {
      port.postMessage(a);
      Atomics.sub(config!.admission, 0, 1); // here, not in the actor: its worker may be gone
      Atomics.sub(load, 0, 1);
      Atomics.add(words, LANE_ANSWERED, 1);
      doorbell.ringAlways(); // a parked actor wakes, sees LANE_ANSWERED ahead and gives its event loop a turn
    };
    port.on('message', (call: LaneCall) => {
      serial = serial.then(() => serve(call, words, config!, answer)); // the hub sends the config before any lane
    });
    port.unref();
  });
  hub.port1.unref();
  return served;
}

/** What the thread's piscina task handler uses of the lanes. */
export interface ServedLanes {
  /** The thread's load word: piscina tasks count in it too. */
  load: Int32Array;
  /** A host call (piscina task) with this BegunSlots slot begins. */
  began(slot: number | undefined): void;
}

async function serve(call: LaneCall, words: Int32Array, config: LaneConfig, answer: (a: LaneAnswer) => void): Promise<void> {
  if (takeCancelled(words, call.id)) {
    answer({ id: call.id, skipped: true });
    return;
  }
  Atomics.store(words, LANE_STARTED, call.seq);
  Atomics.store(words, LANE_RUNNING, call.id);
  try {
    const def = await known(call.kernel, config);
    const backend = def === undefined ? undefined : resolveBackend(def, call.backend, call.input, config);
    if (def === undefined || backend === undefined) {
      answer({ id: call.id, via: 'host' });
      return;
    }
    answer({ ...(await execute(def, backend, call.input, call.out)), id: call.id, backend });
  } catch (err) {
    answer({ ...failedOutcome(err, epochMs()), id: call.id, backend: call.backend === 'auto' ? 'js' : call.backend });
  } finally {
    Atomics.store(words, LANE_RUNNING, 0);
  }
}

/** The kernel, if this thread has it or the host registered its module; else the host settles it. */
async function known(name: string, config: LaneConfig): Promise<KernelDefinition | undefined> {
  try {
    return await findKernel(name, config.modules[name]);
  } catch {
    return undefined;
  }
}

/**
 * The backend a call runs on, decided here as the host would (the backends the host found available
 * among kernels.backends, kernels.auto pins,
 * the calibration the host measured); undefined where only the host can say (not measured yet, or
 * refused, which the host explains with BackendUnavailable).
 */
function resolveBackend(def: KernelDefinition, requested: BackendName | 'auto', input: unknown, config: LaneConfig): BackendName | undefined {
  const usable = usableBackends(def, config.available);
  if (requested !== 'auto') return usable.includes(requested) ? requested : undefined;
  const pinned = config.pins[def.name];
  if (pinned !== undefined && usable.includes(pinned)) return pinned;
  if (usable.length === 1) return usable[0];
  const points = config.calibration[def.name];
  if (points === undefined || !covers(points, usable)) return undefined;
  return pickBackend(points, usable, workOf(def, input));
}

/** A queued call the actor gave up on: its id is in a cancel slot (cleared as it is taken). */
function takeCancelled(words: Int32Array, id: number): boolean {
  for (let i = 0; i < CANCEL_SLOTS; i++) if (Atomics.compareExchange(words, LANE_CANCEL + i, id, 0) === id) return true;
  return false;
}
