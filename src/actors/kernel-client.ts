import type { ActorKernelRunOptions, ActorKernels } from '../transport/contract.js';
import type { ControlFromWorker, DirectCallRecord, KernelLaneMessage, KernelResultMessage, KernelRunMessage } from '../transport/protocol.js';
import { KernelAborted, KernelQueueFull, KernelThreadDied, KernelTimeout, reviveKernelError } from '../kernels/errors.js';
import type { LaneAnswer } from '../kernels/lanes/protocol.js';
import { bytesCopied } from '../kernels/shared-arrays.js';
import { epochMs } from '../kernels/task.js';
import { realTimers } from './incarnation.js';
import { LaneSet, type Lane } from './kernel-lanes.js';

/** How often this worker reports its lane calls to the host's stats. */
const REPORT_EVERY_MS = 50;
const REPORT_BATCH = 256;
const MAX_ID = 0x7fffffff;

interface Call {
  id: number;
  kernel: string;
  input: unknown;
  backend: NonNullable<ActorKernelRunOptions['backend']>;
  out: ActorKernelRunOptions['out'];
  resolve(v: unknown): void;
  reject(e: unknown): void;
  /** When it stops waiting (ms since the epoch), if it has a timeout. */
  deadline?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  onAbort?: () => void;
  timer?: ReturnType<typeof setTimeout>;
  /** The lane it went on; undefined while it goes through the host. */
  lane?: Lane;
  /** Its number on that lane (Lane.post). */
  laneSeq: number;
  postedAt: number;
  copied: number;
  /** Rejected already (timeout, abort): kept only until its lane answers, to free its place. */
  abandoned: boolean;
}

/**
 * `ctx.kernels` in an actor's worker. A call goes straight to a pool thread over one of this
 * worker's lanes (the least loaded; shared arrays by reference), and the answer comes straight
 * back, announced on the actor's doorbell so that even a parked loop wakes to read it. Without a
 * lane (none offered yet, kernels.direct false), or where only the host can settle a call (a
 * kernel or backend the thread cannot resolve), it goes through the host, which runs it in the
 * pool and posts the answer back.
 */
export class KernelClient implements ActorKernels {
  private readonly calls = new Map<number, Call>();
  private readonly lanes = new LaneSet();
  private nextId = 1;
  private records: DirectCallRecord[] = [];
  private reportTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly post: (m: ControlFromWorker) => void) {}

  run<R = any>(kernel: string, input: unknown, options: ActorKernelRunOptions = {}): Promise<R> {
    if (options.signal?.aborted) return Promise.reject(new KernelAborted(kernel, options.signal.reason));
    const id = this.nextId;
    this.nextId = id === MAX_ID ? 1 : id + 1; // lane words are int32; 0 means none
    return new Promise<R>((resolve, reject) => {
      const c: Call = { id, kernel, input, backend: options.backend ?? 'auto', out: options.out, resolve: resolve as (v: unknown) => void, reject, postedAt: 0, copied: 0, abandoned: false, laneSeq: 0 };
      const timeoutMs = options.timeoutMs ?? (this.lanes.size > 0 ? this.lanes.timeoutMs : undefined);
      if (timeoutMs !== undefined) {
        c.timeoutMs = timeoutMs; // 0: none, for the host too
        if (timeoutMs > 0) c.deadline = epochMs() + timeoutMs;
      }
      if (options.signal !== undefined) {
        const signal = options.signal;
        c.signal = signal;
        c.onAbort = () => this.giveUp(c, new KernelAborted(kernel, signal.reason));
        signal.addEventListener('abort', c.onAbort, { once: true });
      }
      this.calls.set(id, c);
      this.dispatch(c);
    });
  }

  /** A lane the host opened to a pool thread. */
  addLane(m: KernelLaneMessage): void {
    this.lanes.add(m, (lane, a) => this.laneAnswered(lane, a), (lane) => this.laneClosed(lane));
  }

  /** A lane answer is posted and not read yet: the actor loop gives its event loop a turn. */
  answerPending(): boolean {
    return this.lanes.answerPending();
  }

  /** The host's answer to a call it ran. */
  answered(m: KernelResultMessage): void {
    const c = this.calls.get(m.id);
    if (c === undefined || c.lane !== undefined) return; // given up on (aborted) already
    this.settle(c);
    if (m.ok) c.resolve(m.result);
    else c.reject(reviveKernelError(m.error));
  }

  /**
   * The actor incarnation that made the calls in flight ended (it is restarted in this worker): none
   * of them settles now, so no code of the old incarnation resumes. The pool skips those not begun
   * and stops the threads running the others, as for a call given up on; the host cancels its own.
   */
  abandonAll(): void {
    for (const c of [...this.calls.values()]) {
      if (c.abandoned) continue;
      this.unhook(c);
      const lane = c.lane;
      if (lane === undefined) {
        this.calls.delete(c.id);
        this.post({ type: 'kernel-cancel', id: c.id });
        continue;
      }
      this.report(c, 'auto', false);
      c.abandoned = true; // kept until its lane answers (or closes), which frees its place in the queue
      const skipped = !lane.began(c.laneSeq) && lane.cancelQueued(c.id, c.laneSeq);
      if (!skipped && lane.running(c.id)) this.post({ type: 'kernel-stop', laneId: lane.laneId, id: c.id });
    }
  }

  /** Sends what is left of the lane stats (the worker is stopping). */
  flush(): void {
    realTimers.clearTimeout(this.reportTimer);
    this.reportTimer = undefined;
    if (this.records.length === 0) return;
    this.post({ type: 'kernel-stats', records: this.records });
    this.records = [];
  }

  private dispatch(c: Call): void {
    const lane = this.lanes.pick();
    if (lane === undefined) this.viaHost(c);
    else this.viaLane(c, lane);
  }

  private viaLane(c: Call, lane: Lane): void {
    if (!this.lanes.admission!.enter()) {
      this.report(c, 'auto', false);
      this.settle(c);
      c.reject(new KernelQueueFull(c.kernel, this.lanes.maxQueue));
      return;
    }
    c.lane = lane;
    c.postedAt = epochMs();
    c.copied = bytesCopied(c.input) + bytesCopied(c.out);
    try {
      c.laneSeq = lane.post({ id: c.id, seq: 0, kernel: c.kernel, backend: c.backend, input: c.input, out: c.out, postedAt: c.postedAt });
    } catch (err) {
      this.lanes.admission!.leave();
      this.settle(c);
      c.reject(err); // an input structured clone refuses (a function, say)
      return;
    }
    if (c.deadline !== undefined && c.timer === undefined) {
      c.timer = realTimers.setTimeout(() => this.giveUp(c, new KernelTimeout(c.kernel, c.timeoutMs!)), Math.max(0, c.deadline - epochMs()));
    }
  }

  private viaHost(c: Call): void {
    c.lane = undefined;
    realTimers.clearTimeout(c.timer); // the host keeps the time from here
    c.timer = undefined;
    const options: KernelRunMessage['options'] = { backend: c.backend };
    if (c.out !== undefined) options.out = c.out;
    if (c.timeoutMs !== undefined) options.timeoutMs = c.deadline === undefined ? c.timeoutMs : Math.max(1, Math.round(c.deadline - epochMs()));
    try {
      this.post({ type: 'kernel-run', id: c.id, kernel: c.kernel, input: c.input, options });
    } catch (err) {
      this.settle(c);
      c.reject(err);
    }
  }

  private laneAnswered(lane: Lane, a: LaneAnswer): void {
    const c = this.calls.get(a.id);
    if (c === undefined || c.lane !== lane) return;
    if ('skipped' in a || c.abandoned) {
      this.calls.delete(c.id); // given up on: its answer only gave its place back
      return;
    }
    if ('via' in a) {
      this.viaHost(c); // the host settles what the thread could not (and explains refusals)
      return;
    }
    this.settle(c);
    if (a.ok) {
      this.report(c, a.backend, true, a.startedAt - c.postedAt, a.runMs, bytesCopied(a.result));
      c.resolve(a.result);
    } else {
      this.report(c, a.backend, false);
      c.reject(reviveKernelError(a.error));
    }
  }

  /** The pool thread ended: calls it never began go elsewhere; the one it was running failed with it. */
  private laneClosed(lane: Lane): void {
    for (const c of [...this.calls.values()]) {
      if (c.lane !== lane) continue;
      // The thread gives a call's place back as it answers: here only those it never answered.
      if (!lane.began(c.laneSeq) || lane.running(c.id)) this.lanes.admission!.leave();
      if (c.abandoned) {
        this.calls.delete(c.id);
      } else if (!lane.began(c.laneSeq)) {
        c.lane = undefined;
        this.dispatch(c);
      } else {
        this.report(c, 'auto', false);
        this.settle(c);
        c.reject(new KernelThreadDied(c.kernel, 'its pool thread ended while running it'));
      }
    }
  }

  /** A timeout or an abort: the caller hears at once; the pool skips the call, or stops its thread if it runs. */
  private giveUp(c: Call, err: Error): void {
    const lane = c.lane;
    if (lane === undefined) {
      this.settle(c);
      this.post({ type: 'kernel-cancel', id: c.id });
      c.reject(err);
      return;
    }
    this.report(c, 'auto', false);
    this.unhook(c);
    c.abandoned = true; // kept until its lane answers (or closes), which frees its place in the queue
    c.reject(err);
    // Queued: skipped when its turn comes. Running (or begun while we asked): its thread is stopped.
    // Begun and done: its answer is on its way.
    const skipped = !lane.began(c.laneSeq) && lane.cancelQueued(c.id, c.laneSeq);
    if (!skipped && lane.running(c.id)) this.post({ type: 'kernel-stop', laneId: lane.laneId, id: c.id });
  }

  private settle(c: Call): void {
    this.calls.delete(c.id);
    this.unhook(c);
  }

  private unhook(c: Call): void {
    realTimers.clearTimeout(c.timer);
    c.timer = undefined;
    if (c.onAbort !== undefined) c.signal?.removeEventListener('abort', c.onAbort);
  }

  /** Counts a lane call (the host counts those it ran). */
  private report(c: Call, backend: string, ok: boolean, queueMs?: number, runMs?: number, resultCopied = 0): void {
    const r: DirectCallRecord = { kernel: c.kernel, backend, ok, bytesCopied: c.copied + resultCopied };
    if (queueMs !== undefined) r.queueMs = Math.max(0, queueMs);
    if (runMs !== undefined) r.runMs = runMs;
    this.records.push(r);
    if (this.records.length >= REPORT_BATCH) this.flush();
    else this.reportTimer ??= realTimers.setTimeout(() => this.flush(), REPORT_EVERY_MS);
  }
}
