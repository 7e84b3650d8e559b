import { Piscina } from 'piscina';
import { BUILTIN_KERNELS } from './builtin/index.js';
import { loadNativeCores } from './backends/native.js';
import { Admission } from './admission.js';
import { BegunSlots } from './begun-slots.js';
import { Calibration, usableBackends, workOf, type CalibrationPoint } from './calibration.js';
import { ACCELERATOR_NAMES, BACKEND_NAMES, isKernelDefinition, type AcceleratorName, type BackendName, type KernelDefinition } from './define.js';
import {
  BackendUnavailable,
  KernelAborted,
  KernelPoolClosed,
  KernelQueueFull,
  KernelThreadDied,
  KernelTimeout,
  UnknownKernel,
  reviveKernelError,
} from './errors.js';
import { KernelStatsBook, type DirectCallRecord, type KernelStats } from './kernel-stats.js';
import { LaneHub, type LaneSubscriber } from './lanes/hub.js';
import { isLaneHubHello, type LaneConfig } from './lanes/protocol.js';
import type { KernelLaneMessage } from '../transport/protocol.js';
import { moduleUrl, type ResolvedKernelOptions } from './options.js';
import { bytesCopied } from './shared-arrays.js';
import { epochMs, type KernelOutcome, type KernelTask } from './task.js';

/** How one call runs; every field optional. */
export interface KernelRunOptions {
  /** 'auto' (default) picks per kernel and input size from the calibration; or a backend by name. */
  backend?: BackendName | 'auto';
  /** Reject with KernelTimeout after this long, queue wait included (default: kernels.timeoutMs; 0 none). */
  timeoutMs?: number;
  /** Reject with an AbortError when it fires; a running kernel's thread is stopped and replaced. */
  signal?: AbortSignal;
  /** Arrays to write results into, by output name (e.g. { out: sharedArray(Float64Array, m * n) }). */
  out?: Record<string, ArrayBufferView>;
}

export interface KernelInfo {
  name: string;
  description: string;
  /** The backends that can run it here. */
  backends: BackendName[];
  /** The module that defines it (user kernels). */
  module?: string;
}

export interface BackendInfo {
  available: boolean;
  /** Why not, when it is not. */
  reason?: string;
  /** What it runs on, for an accelerator that is (e.g. 'webgpu: llvmpipe (Vulkan, cpu)'). */
  device?: string;
}

interface Entry {
  def: KernelDefinition;
  module?: string;
}

/** What an actor's worker needs besides its lanes to call pool threads straight. */
export type LaneTerms = Pick<KernelLaneMessage, 'admission' | 'limit' | 'maxQueue' | 'timeoutMs'>;

/**
 * The heavy-kernel pool of a system: piscina threads that run kernels on a backend (js loops, or
 * the native addon) with typed arrays on SharedArrayBuffers passed by reference and results
 * written into shared arrays the caller reads in place. It owns the kernel registry, backend
 * choice (`auto` from the calibration), queue limit, timeouts, aborts and the per-kernel stats.
 */
export class KernelPool {
  private readonly kernels = new Map<string, Entry>();
  /** js and native, known at once; the accelerators once probed in a pool thread (see probe). */
  private readonly backendInfo: Partial<Record<BackendName, BackendInfo>>;
  private probing: Promise<void> | undefined;
  /** Made at the first call: a system that runs no kernel starts no thread. */
  private piscinaOrUndefined: Piscina<KernelTask, KernelOutcome> | undefined;
  private readonly book = new KernelStatsBook();
  private readonly calibration: Calibration;
  private closed = false;
  /** Calls made and not settled, by the host or by actors over lanes: one running per thread, the rest queued. */
  private readonly admission: Admission;
  /** Direct lanes from actors to pool threads (kernels.direct). */
  private readonly hub: LaneHub | undefined;
  /** With lanes: which host calls a pool thread has begun. */
  private readonly begunSlots: BegunSlots | undefined;

  constructor(
    private readonly options: ResolvedKernelOptions,
    private readonly workerEntry: URL,
  ) {
    for (const def of BUILTIN_KERNELS) this.kernels.set(def.name, { def });
    const native = loadNativeCores();
    this.backendInfo = {
      js: { available: true },
      native: !options.backends.includes('native') ? NOT_ALLOWED : native.ok ? { available: true } : { available: false, reason: native.reason },
    };
    for (const name of ACCELERATOR_NAMES) if (!options.backends.includes(name)) this.backendInfo[name] = NOT_ALLOWED;
    this.admission = Admission.create(options.threads + options.maxQueue);
    this.calibration = new Calibration(
      options.calibrationFile,
      (kernel, backend, input) => this.timeOne(kernel, backend, input),
      () => this.hub?.setConfig(this.laneConfig()),
    );
    this.begunSlots = options.direct ? new BegunSlots(this.admission.limit) : undefined;
    this.hub = options.direct ? new LaneHub(this.laneConfig(), (threadId) => this.terminateThread(threadId)) : undefined;
  }

  private get piscina(): Piscina<KernelTask, KernelOutcome> {
    if (this.piscinaOrUndefined !== undefined) return this.piscinaOrUndefined;
    const direct = this.hub !== undefined;
    const piscina = new Piscina<KernelTask, KernelOutcome>({
      filename: this.workerEntry.href,
      // Lane calls are invisible to piscina: a thread serving them must not be closed as idle.
      minThreads: direct ? this.options.threads : this.options.minThreads,
      maxThreads: this.options.threads,
      // The queue limit is ours (see dispatch): piscina's counts a starting thread's capacity too.
      maxQueue: Infinity,
      idleTimeout: this.options.idleTimeoutMs,
      // 'sync' parks idle threads in Atomics.wait (the quickest wake-up for the next task) but
      // deaf to anything else; a thread serving lanes must keep its event loop for their messages.
      atomics: direct ? 'async' : 'sync',
      workerData: { accelerators: this.options.accelerators },
    });
    // A thread that died is replaced by piscina; its call is rejected where it was made.
    piscina.on('error', () => {});
    piscina.on('message', (m: unknown) => {
      if (isLaneHubHello(m)) this.hub?.addThread(m);
    });
    this.piscinaOrUndefined = piscina;
    return piscina;
  }

  /**
   * Lanes to the pool threads for an actor's worker, now and as threads start (none when
   * kernels.direct is false); returns the unsubscribe.
   */
  subscribeLanes(subscriber: LaneSubscriber): () => void {
    return this.hub?.subscribe(subscriber) ?? (() => {});
  }

  laneTerms(): LaneTerms {
    return { admission: this.admission.word, limit: this.admission.limit, maxQueue: this.options.maxQueue, timeoutMs: this.options.timeoutMs };
  }

  /** Calls an actor made straight to a pool thread, as its worker reports them (in batches). */
  recordDirect(records: readonly DirectCallRecord[]): void {
    for (const r of records) this.book.record(r);
  }

  /** An actor gave up on a lane call: its thread is stopped (and replaced) if the call still runs. */
  stopLaneCall(laneId: number, id: number): void {
    this.hub?.stopRunning(laneId, id);
  }

  /** Adds the kernel a module defines (`export default defineKernel(...)`); resolves with its name. */
  async register(module: string | URL): Promise<string> {
    const url = moduleUrl('module', module);
    const mod = (await import(url)) as { default?: unknown };
    if (!isKernelDefinition(mod.default)) throw new TypeError(`kernel module ${url} must export default defineKernel({...}); it exports ${typeof mod.default}`);
    const def = mod.default;
    const known = this.kernels.get(def.name);
    if (known !== undefined && known.module !== url) throw new TypeError(`kernel module ${url}: a kernel named '${def.name}' is already registered${known.module === undefined ? ' (built in)' : ` by ${known.module}`}`);
    this.kernels.set(def.name, { def, module: url });
    this.hub?.setConfig(this.laneConfig());
    return def.name;
  }

  list(): KernelInfo[] {
    return [...this.kernels.values()].map(({ def, module }) => ({
      name: def.name,
      description: def.description ?? '',
      backends: this.backendsOf(def),
      ...(module !== undefined ? { module } : {}),
    }));
  }

  /**
   * Each backend: whether it runs here, and on what or why not. The accelerators allowed by
   * kernels.backends are probed the first time (in a pool thread: their libraries load and their
   * device opens there, never in the host).
   */
  async backends(): Promise<Record<BackendName, BackendInfo>> {
    await this.probe();
    return Object.fromEntries(BACKEND_NAMES.map((b) => [b, { ...this.backendInfo[b]! }])) as Record<BackendName, BackendInfo>;
  }

  stats(): { threads: number; queued: number; kernels: KernelStats; calibration: Record<string, CalibrationPoint[]> } {
    const p = this.piscinaOrUndefined;
    return { threads: p?.threads.length ?? 0, queued: p?.queueSize ?? 0, kernels: this.book.snapshot(), calibration: this.calibration.snapshot() };
  }

  /** Runs `kernel` on `input` in the pool; rejects (never throws) on every failure. */
  async run<R = any>(kernel: string, input: unknown, options: KernelRunOptions = {}): Promise<R> {
    if (this.closed) throw new KernelPoolClosed();
    const entry = this.kernels.get(kernel);
    if (entry === undefined) throw new UnknownKernel(kernel, [...this.kernels.keys()]);
    const backend = await this.chooseBackend(entry.def, input, options.backend ?? 'auto');
    return this.dispatch(entry, backend, input, options) as Promise<R>;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.piscinaOrUndefined?.destroy();
  }

  /** The backends known to run here (an accelerator only once probed). */
  private available(): BackendName[] {
    return BACKEND_NAMES.filter((b) => this.backendInfo[b]?.available === true);
  }

  private backendsOf(def: KernelDefinition): BackendName[] {
    return usableBackends(def, this.available());
  }

  /** Opens the allowed accelerators in a pool thread once, bounded by kernels.accelerators.probeTimeoutMs. */
  private probe(): Promise<void> {
    const names = ACCELERATOR_NAMES.filter((b) => this.backendInfo[b] === undefined);
    if (names.length === 0) return Promise.resolve();
    this.probing ??= this.probeNow(names).finally(() => this.hub?.setConfig(this.laneConfig()));
    return this.probing;
  }

  private async probeNow(names: AcceleratorName[]): Promise<void> {
    const timeoutMs = this.options.accelerators.probeTimeoutMs;
    let found: Partial<Record<AcceleratorName, BackendInfo>> = {};
    let failure: string | undefined;
    try {
      const outcome = await this.piscina.run({ kernel: 'probe', backend: 'js', input: null, postedAt: epochMs(), probe: names }, { signal: AbortSignal.timeout(timeoutMs) });
      if (outcome.ok) found = outcome.result as typeof found;
      else failure = outcome.error.message;
    } catch (err) {
      // A probe that hangs (a driver stuck in a native call) is stopped with its thread.
      failure = this.closed ? 'the pool closed during the probe' : `the probe did not answer within ${timeoutMs} ms (kernels.accelerators.probeTimeoutMs): ${err instanceof Error ? err.message : String(err)}`;
    }
    for (const name of names) this.backendInfo[name] = found[name] ?? { available: false, reason: failure ?? 'the probe gave no answer for it' };
  }

  private async chooseBackend(def: KernelDefinition, input: unknown, requested: BackendName | 'auto'): Promise<BackendName> {
    if (requested === 'auto') {
      if (ACCELERATOR_NAMES.some((b) => def[b] !== undefined)) await this.probe();
      const usable = this.backendsOf(def);
      const pinned = this.options.auto[def.name];
      if (pinned !== undefined && usable.includes(pinned)) return pinned;
      return this.calibration.choose(def, usable, workOf(def, input));
    }
    if (!BACKEND_NAMES.includes(requested)) throw new BackendUnavailable(def.name, String(requested), `no such backend (expected 'auto', ${BACKEND_NAMES.map((b) => `'${b}'`).join(' or ')})`);
    if (def[requested] === undefined) throw new BackendUnavailable(def.name, requested, `the kernel has no ${requested} implementation`);
    if (this.backendInfo[requested] === undefined) await this.probe();
    const info = this.backendInfo[requested]!;
    if (!info.available) throw new BackendUnavailable(def.name, requested, info.reason ?? 'unavailable');
    return requested;
  }

  private async dispatch(entry: Entry, backend: BackendName, input: unknown, options: KernelRunOptions): Promise<unknown> {
    const kernel = entry.def.name;
    if (!this.admission.enter()) {
      this.book.failed(kernel, backend, 0);
      throw new KernelQueueFull(kernel, this.options.maxQueue);
    }
    try {
      return await this.dispatchCounted(entry, backend, input, options);
    } finally {
      this.admission.leave();
    }
  }

  private async dispatchCounted(entry: Entry, backend: BackendName, input: unknown, options: KernelRunOptions): Promise<unknown> {
    const kernel = entry.def.name;
    if (options.signal?.aborted) {
      this.book.failed(kernel, backend, 0);
      throw new KernelAborted(kernel, options.signal.reason);
    }
    const task = taskFor(entry, backend, input, options.out);
    let copied = bytesCopied(input) + bytesCopied(options.out);
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    const abort = new AbortController();
    let why: 'timeout' | 'signal' | undefined;
    const timer = timeoutMs > 0 ? setTimeout(() => { why = 'timeout'; abort.abort(); }, timeoutMs) : undefined;
    const onAbort = (): void => { why ??= 'signal'; abort.abort(); };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let outcome: KernelOutcome;
    const slot = this.begunSlots?.take();
    if (slot !== undefined) task.slot = slot;
    try {
      outcome = await this.runInPiscina(task, abort.signal, () => why === undefined);
    } catch (err) {
      this.book.failed(kernel, backend, copied);
      if (why === 'timeout') throw new KernelTimeout(kernel, timeoutMs);
      if (why === 'signal') throw new KernelAborted(kernel, options.signal?.reason);
      throw this.poolError(kernel, err);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (slot !== undefined) this.begunSlots!.release(slot);
    }
    if (!outcome.ok) {
      this.book.failed(kernel, backend, copied);
      throw reviveKernelError(outcome.error);
    }
    copied += bytesCopied(outcome.result);
    this.book.completed(kernel, backend, Math.max(0, outcome.startedAt - task.postedAt), outcome.runMs, copied);
    return outcome.result;
  }

  /**
   * piscina's run, sent again (a few times at most) when the thread it went to died without
   * beginning it: a thread stopped under an actor's lane call (see BegunSlots).
   */
  private async runInPiscina(task: KernelTask, signal: AbortSignal, retry: () => boolean): Promise<KernelOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.piscina.run(task, { signal });
      } catch (err) {
        const slot = task.slot;
        if (slot === undefined || this.begunSlots!.begun(slot) || attempt === 3 || this.closed || !retry()) throw err;
      }
    }
  }

  /** piscina's own errors, as ours. */
  private poolError(kernel: string, err: unknown): Error {
    if (this.closed) return new KernelPoolClosed();
    return new KernelThreadDied(kernel, err instanceof Error ? err.message : String(err));
  }

  private laneConfig(): LaneConfig {
    const modules: Record<string, string> = {};
    for (const [name, e] of this.kernels) if (e.module !== undefined) modules[name] = e.module;
    return {
      modules,
      available: this.available(),
      pins: { ...this.options.auto },
      calibration: this.calibration?.snapshot() ?? {},
      begun: this.begunSlots!.words,
      admission: this.admission.word,
    };
  }

  private terminateThread(threadId: number): void {
    void this.piscinaOrUndefined?.threads.find((t) => t.threadId === threadId)?.terminate();
  }

  /** One calibration run: how long `kernel` ran on `backend`, in its thread. */
  private async timeOne(kernel: string, backend: BackendName, input: unknown): Promise<number> {
    const outcome = await this.piscina.run(taskFor(this.kernels.get(kernel)!, backend, input));
    if (!outcome.ok) throw reviveKernelError(outcome.error);
    return outcome.runMs;
  }
}

const NOT_ALLOWED: BackendInfo = Object.freeze({ available: false, reason: 'not among kernels.backends' });

/** One call as it goes to a pool thread (stamped now: its queue wait starts here). */
function taskFor(entry: Entry, backend: BackendName, input: unknown, out?: Record<string, ArrayBufferView>): KernelTask {
  const task: KernelTask = { kernel: entry.def.name, backend, input, postedAt: epochMs() };
  if (entry.module !== undefined) task.module = entry.module;
  if (out !== undefined) task.out = out;
  return task;
}
