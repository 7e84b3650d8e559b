import type { MessagePort } from 'node:worker_threads';
import { Admission } from '../kernels/admission.js';
import { CANCEL_SLOTS, LANE_ANSWERED, LANE_CANCEL, LANE_RUNNING, LANE_STARTED, type LaneAnswer, type LaneCall } from '../kernels/lanes/protocol.js';
import type { KernelLaneMessage } from '../transport/protocol.js';

/** One lane of this worker to one kernel-pool thread. */
export class Lane {
  readonly laneId: number;
  readonly port: MessagePort;
  private readonly words: Int32Array;
  private readonly load: Int32Array;
  /** Answers read so far (against LANE_ANSWERED). */
  delivered = 0;
  /** The seq of the last call posted on this lane. */
  private posted = 0;

  constructor(m: KernelLaneMessage) {
    this.laneId = m.laneId;
    this.port = m.port;
    this.words = m.words;
    this.load = m.load;
  }

  /** Calls queued and running in its thread. */
  loadNow(): number {
    return Atomics.load(this.load, 0);
  }

  /**
   * Posts a call, numbered on this lane (its `seq`, returned), its place in the thread's load counted
   * first, so the thread never counts below zero.
   */
  post(call: LaneCall): number {
    call.seq = (this.posted + 1) | 0;
    Atomics.add(this.load, 0, 1);
    try {
      this.port.postMessage(call);
    } catch (err) {
      Atomics.sub(this.load, 0, 1); // structured clone refused the input: nothing went
      throw err;
    }
    this.posted = call.seq;
    return call.seq;
  }

  /** An answer was posted that this thread's event loop has not delivered yet. */
  answerPending(): boolean {
    return Atomics.load(this.words, LANE_ANSWERED) !== this.delivered;
  }

  /** The thread began the call posted as `seq` (calls on a lane run in order; seqs wrap, so compared as int32 distances). */
  began(seq: number): boolean {
    return ((Atomics.load(this.words, LANE_STARTED) - seq) | 0) >= 0;
  }

  running(id: number): boolean {
    return Atomics.load(this.words, LANE_RUNNING) === id;
  }

  /**
   * Asks the thread to skip queued call `id` (posted as `seq`); false when it has begun it meanwhile
   * (or every slot is taken: it then runs and its answer is dropped).
   */
  cancelQueued(id: number, seq: number): boolean {
    for (let i = 0; i < CANCEL_SLOTS; i++) {
      if (Atomics.compareExchange(this.words, LANE_CANCEL + i, 0, id) !== 0) continue;
      if (!this.began(seq)) return true;
      Atomics.compareExchange(this.words, LANE_CANCEL + i, id, 0); // too late: free the slot again
      return false;
    }
    return false;
  }
}

/**
 * The lanes of an actor's worker to the pool threads, as the host offers them, and the pool's
 * shared queue limit. A call goes to the least loaded thread (ties in turn).
 */
export class LaneSet {
  private lanes: Lane[] = [];
  private turn = 0;
  admission: Admission | undefined;
  maxQueue = 0;
  timeoutMs = 0;

  add(m: KernelLaneMessage, onAnswer: (lane: Lane, a: LaneAnswer) => void, onClose: (lane: Lane) => void): void {
    const lane = new Lane(m);
    this.admission ??= new Admission(m.admission, m.limit);
    this.maxQueue = m.maxQueue;
    this.timeoutMs = m.timeoutMs;
    lane.port.on('message', (a: LaneAnswer) => {
      lane.delivered++;
      onAnswer(lane, a);
    });
    lane.port.on('close', () => {
      this.lanes = this.lanes.filter((l) => l !== lane);
      onClose(lane);
    });
    lane.port.unref();
    this.lanes.push(lane);
  }

  get size(): number {
    return this.lanes.length;
  }

  pick(): Lane | undefined {
    const lanes = this.lanes;
    const n = lanes.length;
    if (n === 0) return undefined;
    const start = this.turn++ % n;
    let best = lanes[start]!;
    let bestLoad = best.loadNow();
    for (let k = 1; k < n && bestLoad > 0; k++) {
      const lane = lanes[(start + k) % n]!;
      const load = lane.loadNow();
      if (load < bestLoad) {
        best = lane;
        bestLoad = load;
      }
    }
    return best;
  }

  /** An answer is on its way into this thread's event loop: the loop should give it a turn. */
  answerPending(): boolean {
    for (const lane of this.lanes) if (lane.answerPending()) return true;
    return false;
  }
}
