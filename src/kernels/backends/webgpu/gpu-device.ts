import type { AcceleratorProfile } from '../accelerator.js';
import { emptyProfile } from '../accelerator.js';
import type { CoreName } from '../../cores.js';

/** What the webgpu module gives (create(flags) and the WebGPU constants). */
export interface DawnModule {
  create(flags: string[]): GPU;
  globals: { GPUBufferUsage: typeof GPUBufferUsage; GPUMapMode: typeof GPUMapMode };
}

/** A typed array on its way to the device: f64 inputs go up as f32, counters and sizes as u32. */
export type Upload = Float32Array | Uint32Array;

/** One storage buffer of a dispatch: uploaded from `data`, or `bytes` of output left on the device. */
export type Binding = { data: Upload } | { bytes: number };

const WAIT_FOR_ADAPTER_MS = 15_000;

/**
 * One GPU device of a pool thread, and what it keeps between calls: compiled pipelines by shader,
 * and storage and read-back buffers by size class, so a call of a size seen before allocates
 * nothing on the device. The device is destroyed after `idleMs` without a call (Dawn's device
 * threads and its memory are not held by an idle system) and made again by the next call, which
 * then pays the device's creation and the shaders' compilation again.
 */
export class GpuDevice {
  private device: GPUDevice | undefined;
  private opening: Promise<GPUDevice> | undefined;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly free = new Map<string, GPUBuffer[]>();
  private idleTimer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  /** Devices made so far (1 + the times it was destroyed when idle and made again): the tests read it. */
  created = 0;
  /** Shader pipelines compiled and buffers allocated on the device(s) so far: reuse shows as neither growing. */
  pipelinesCompiled = 0;
  buffersAllocated = 0;
  /** Split each call into upload / compute / download with a queue fence between them (the bench). */
  profiling = false;
  private totals: AcceleratorProfile = emptyProfile();

  constructor(
    private readonly dawn: DawnModule,
    /** Held for as long as the device: a collected GPU instance takes Dawn's down under its devices (an abort in a futex). */
    private readonly gpu: GPU,
    private adapter: GPUAdapter,
    private readonly powerPreference: GPUPowerPreference,
    private readonly idleMs: number,
  ) {}

  /** Opens the first adapter the Vulkan/Metal/D3D12 driver offers; throws with the reason when there is none. */
  static async open(dawn: DawnModule, powerPreference: GPUPowerPreference, idleMs: number): Promise<GpuDevice> {
    const gpu = dawn.create([]);
    const adapter = await withTimeout(gpu.requestAdapter({ powerPreference }), WAIT_FOR_ADAPTER_MS, 'requestAdapter');
    if (adapter === null) throw new Error('no GPU adapter: Dawn found no Vulkan, Metal or D3D12 device (on Linux without a GPU, install a Vulkan driver such as Mesa lavapipe: mesa-vulkan-drivers >= 24)');
    const gpuDevice = new GpuDevice(dawn, gpu, adapter, powerPreference, idleMs);
    await gpuDevice.acquire(); // proves a device can be made, as the probe must
    gpuDevice.release();
    return gpuDevice;
  }

  describe(): string {
    const info = this.adapter.info;
    const name = info.description || info.device || info.vendor || 'unknown adapter';
    return `webgpu: ${name}${info.architecture ? ` (${info.architecture})` : ''}${info.vendor ? `, vendor ${info.vendor}` : ''}`;
  }

  /** The largest array one binding can hold on this device, in bytes. */
  get maxBindingBytes(): number {
    return Math.min(this.adapter.limits.maxStorageBufferBindingSize, this.adapter.limits.maxBufferSize);
  }

  /** The time of the core calls since the last profile() (then counted afresh). */
  profile(): AcceleratorProfile {
    const totals = this.totals;
    this.totals = emptyProfile();
    return totals;
  }

  /**
   * Runs one compute pass: `bindings` as storage buffers 0..n-1 (inputs uploaded, outputs made),
   * `params` as a uniform buffer at binding n, `groups` workgroups; reads the buffers named in
   * `read` back as Float32Arrays.
   */
  async run(core: CoreName, shader: string, bindings: readonly Binding[], params: Uint32Array | undefined, groups: readonly [number, number, number], read: readonly number[]): Promise<Float32Array[]> {
    const device = await this.acquire();
    const { GPUBufferUsage, GPUMapMode } = this.dawn.globals;
    const held: Array<[string, GPUBuffer]> = [];
    const take = (usage: number, bytes: number): GPUBuffer => {
      const size = sizeClass(bytes);
      const key = `${usage}:${size}`;
      let buffer = this.free.get(key)?.pop();
      if (buffer === undefined) {
        buffer = device.createBuffer({ size, usage });
        this.buffersAllocated++;
      }
      held.push([key, buffer]);
      return buffer;
    };
    const profile: AcceleratorProfile = { core, uploadMs: 0, computeMs: 0, downloadMs: 0 };
    try {
      let t0 = performance.now();
      const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
      const buffers = bindings.map((b) => {
        const bytes = 'data' in b ? b.data.byteLength : b.bytes;
        this.checkSize(core, bytes);
        const buffer = take(storage, bytes);
        if ('data' in b && b.data.byteLength > 0) device.queue.writeBuffer(buffer, 0, b.data.buffer, b.data.byteOffset, b.data.byteLength);
        return buffer;
      });
      const entries: GPUBindGroupEntry[] = buffers.map((buffer, i) => ({ binding: i, resource: { buffer, size: bindingSize(bindings[i]!) } }));
      if (params !== undefined) {
        const uniform = take(GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, params.byteLength);
        device.queue.writeBuffer(uniform, 0, params.buffer, params.byteOffset, params.byteLength);
        entries.push({ binding: buffers.length, resource: { buffer: uniform, size: sizeClass(params.byteLength) } });
      }
      if (this.profiling) await device.queue.onSubmittedWorkDone();
      let t1 = performance.now();
      profile.uploadMs = t1 - t0;

      const pipeline = this.pipeline(device, shader);
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }));
      pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
      pass.end();
      if (this.profiling) {
        device.queue.submit([encoder.finish()]);
        await device.queue.onSubmittedWorkDone();
      }
      t0 = performance.now();
      profile.computeMs = t0 - t1;

      const copyEncoder = this.profiling ? device.createCommandEncoder() : encoder;
      const staging = read.map((index) => {
        const bytes = bindingSize(bindings[index]!);
        const target = take(GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, bytes);
        copyEncoder.copyBufferToBuffer(buffers[index]!, 0, target, 0, bytes);
        return { target, bytes };
      });
      device.queue.submit([copyEncoder.finish()]);
      await Promise.all(staging.map(({ target, bytes }) => target.mapAsync(GPUMapMode.READ, 0, bytes)));
      const results = staging.map(({ target, bytes }) => {
        const copy = new Float32Array(target.getMappedRange(0, bytes).slice(0));
        target.unmap();
        return copy;
      });
      t1 = performance.now();
      // Without profiling the pass and the copy go in one submission: their time is all "compute" here.
      if (this.profiling) profile.downloadMs = t1 - t0;
      else profile.computeMs += t1 - t0;
      this.totals = { core, uploadMs: this.totals.uploadMs + profile.uploadMs, computeMs: this.totals.computeMs + profile.computeMs, downloadMs: this.totals.downloadMs + profile.downloadMs };
      return results;
    } finally {
      for (const [key, buffer] of held) {
        const list = this.free.get(key) ?? [];
        list.push(buffer);
        this.free.set(key, list);
      }
      this.release();
    }
  }

  /** Destroys the device now (shutdown); a later call would make a new one. */
  close(): void {
    clearTimeout(this.idleTimer);
    this.destroyDevice();
  }

  private async acquire(): Promise<GPUDevice> {
    this.inFlight++;
    clearTimeout(this.idleTimer);
    if (this.device !== undefined) return this.device;
    this.opening ??= this.makeDevice().finally(() => (this.opening = undefined));
    try {
      return await this.opening;
    } catch (err) {
      this.release();
      throw err;
    }
  }

  private release(): void {
    this.inFlight--;
    if (this.inFlight === 0 && this.idleMs > 0 && this.device !== undefined) {
      this.idleTimer = setTimeout(() => this.destroyDevice(), this.idleMs);
      this.idleTimer.unref();
    }
  }

  private async makeDevice(): Promise<GPUDevice> {
    if (this.created > 0) {
      // An adapter makes one device in its life ("consumed"): the next device needs a new one.
      const adapter = await withTimeout(this.gpu.requestAdapter({ powerPreference: this.powerPreference }), WAIT_FOR_ADAPTER_MS, 'requestAdapter');
      if (adapter === null) throw new Error('no GPU adapter any more: the device was lost or its driver went away');
      this.adapter = adapter;
    }
    const limits = this.adapter.limits;
    const device = await withTimeout(
      this.adapter.requestDevice({
        // The adapter's own maxima: the defaults (128 MiB per binding) would refuse a 4096 x 4096 x 4 B matrix pair.
        requiredLimits: {
          maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
          maxBufferSize: limits.maxBufferSize,
          maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
        },
      }),
      WAIT_FOR_ADAPTER_MS,
      'requestDevice',
    );
    void device.lost.then(() => {
      if (this.device === device) this.forget();
    });
    this.device = device;
    this.created++;
    return device;
  }

  private destroyDevice(): void {
    const device = this.device;
    if (device === undefined || this.inFlight > 0) return;
    this.forget();
    device.destroy();
  }

  /** Pipelines and buffers belong to the device: they go with it. */
  private forget(): void {
    this.device = undefined;
    this.pipelines.clear();
    this.free.clear();
  }

  private pipeline(device: GPUDevice, shader: string): GPUComputePipeline {
    let pipeline = this.pipelines.get(shader);
    if (pipeline === undefined) {
      pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code: shader }), entryPoint: 'main' } });
      this.pipelines.set(shader, pipeline);
      this.pipelinesCompiled++;
    }
    return pipeline;
  }

  private checkSize(core: CoreName, bytes: number): void {
    const max = this.maxBindingBytes;
    if (bytes > max) throw new RangeError(`webgpu ${core}: an array of ${bytes} bytes does not fit the device's largest buffer (${max} bytes); run it on another backend or split it`);
  }
}

/** Buffers are kept by power-of-two size (at least 256 B), so a pool of them serves nearby sizes. */
function sizeClass(bytes: number): number {
  return Math.max(256, 2 ** Math.ceil(Math.log2(Math.max(4, bytes))));
}

/** What a binding exposes to the shader: the data's length, at least 4 bytes (WebGPU refuses empty bindings). */
function bindingSize(b: Binding): number {
  const bytes = 'data' in b ? b.data.byteLength : b.bytes;
  return Math.max(4, Math.ceil(bytes / 4) * 4);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms (a GPU driver that hangs)`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
