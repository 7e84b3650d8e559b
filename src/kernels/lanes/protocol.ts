import type { MessagePort } from 'node:worker_threads';
import type { CalibrationPoint } from '../calibration.js';
import type { BackendName } from '../define.js';
import type { KernelOutcome } from '../task.js';

/**
 * Direct lanes: an actor's worker calls a pool thread straight over a MessagePort of its own,
 * without the host in between (two thread crossings per call, like piscina's own `run()` from its
 * owner). The host still owns the pool: it makes the lanes, tells pool threads what is registered
 * and calibrated, stops a thread whose running call was given up on, and keeps the stats.
 */

/** What a pool thread posts to the host once, through piscina's worker messages: its end of the hub. */
export interface LaneHubHello {
  dualbusKernelLanes: MessagePort;
  threadId: number;
  /** One word: calls queued or running in this thread (lane calls and piscina tasks), for the actors' choice. */
  load: Int32Array;
}

export function isLaneHubHello(m: unknown): m is LaneHubHello {
  return typeof m === 'object' && m !== null && (m as Partial<LaneHubHello>).dualbusKernelLanes !== undefined;
}

/** What `backend: 'auto'` and the registry look like to a pool thread serving lanes. */
export interface LaneConfig {
  /** User kernels by name: the module that defines each. */
  modules: Record<string, string>;
  /**
   * The backends calls may use that the host knows to run here (kernels.backends, less those that
   * did not load; an accelerator only once the host's probe found it): others go through the host.
   */
  available: BackendName[];
  /** kernels.auto: pinned backends. */
  pins: Record<string, BackendName>;
  calibration: Record<string, CalibrationPoint[]>;
  /** BegunSlots' words: the thread marks the host calls (piscina tasks) it begins. */
  begun: Int32Array;
  /** The pool's queue limit word (Admission): the thread gives a lane call's place back as it answers. */
  admission: Int32Array;
}

/** Host -> pool thread, on the hub. */
export type HubMessage =
  | { type: 'config'; config: LaneConfig }
  | { type: 'lane'; laneId: number; port: MessagePort; words: Int32Array; doorbell: Int32Array };

/** The words of one lane (a SharedArrayBuffer both ends and the host read). */
export const LANE_STARTED = 0; // the lane sequence number (LaneCall.seq) of the last call the pool thread began
export const LANE_RUNNING = 1; // the id of the call running now, 0 when none
export const LANE_ANSWERED = 2; // answers posted so far: the actor yields to its event loop until it has read as many
export const LANE_CANCEL = 3; // CANCEL_SLOTS ids of queued calls given up on: skipped, not run
export const CANCEL_SLOTS = 8;
export const LANE_WORDS = LANE_CANCEL + CANCEL_SLOTS;

/** Actor -> pool thread: one call. */
export interface LaneCall {
  id: number;
  /**
   * Its place on this lane (the lane numbers its calls 1, 2, ... as it posts them). Calls run in
   * this order, so LANE_STARTED >= seq says the thread began it. Not the id: a call sent again after
   * its thread died comes after calls with higher ids on its new lane.
   */
  seq: number;
  kernel: string;
  backend: BackendName | 'auto';
  input: unknown;
  out?: Record<string, ArrayBufferView>;
  postedAt: number;
}

/** Pool thread -> actor: the outcome, or 'ask the host' (what only the host can settle: an unknown
 * kernel, a backend not measured yet or refused), or 'skipped' (given up on while queued). */
export type LaneAnswer =
  | (KernelOutcome & { id: number; backend: BackendName })
  | { id: number; via: 'host' }
  | { id: number; skipped: true };
