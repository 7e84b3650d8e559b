import { statSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import type { MlpInput } from '../../builtin/mlp.js';
import { emptyProfile, reasonOf, type AcceleratorProfile } from '../accelerator.js';
import { OnnxArgumentError, copyOutput, matchFeeds, tensorData, type Feeds, type ModelOutputs } from './feeds.js';
import { layersKey } from './layers-key.js';
import { MLP_INPUT, MLP_OUTPUT, mlpModelBytes } from './mlp-model.js';
import type { InferenceSession, Ort, Tensor } from './ort-module.js';
import type { ExecutionProvider } from './providers.js';
import { SessionCache } from './session-cache.js';

/** Where runModelFile puts an output of `length` elements (the kernel gives ctx.output's arrays). */
export type OutputAllocator = (name: string, length: number) => Float64Array;

/** Sessions kept per kind: a desk runs a few networks, each called again and again. */
const MLP_SESSIONS = 4;
const FILE_SESSIONS = 4;

/**
 * ONNX Runtime as one pool thread uses it: the library, the provider it runs on, and its inference
 * sessions (MLPs by a hash of their weights, model files by path), with the timing of the last run.
 */
export class OnnxRuntime {
  private readonly mlpSessions = new SessionCache(MLP_SESSIONS);
  private readonly fileSessions = new SessionCache(FILE_SESSIONS);
  private last: AcceleratorProfile = emptyProfile();
  private closed = false;

  constructor(
    private readonly ort: Ort,
    readonly provider: ExecutionProvider,
    readonly device: string,
  ) {}

  /** Inference sessions created so far (MLPs and model files), and those held now. */
  stats(): { created: number; held: number } {
    return { created: this.mlpSessions.created + this.fileSessions.created, held: this.mlpSessions.size + this.fileSessions.size };
  }

  profile(): AcceleratorProfile {
    return { ...this.last };
  }

  /**
   * The forward pass of `input` (an input the mlp kernel validated) into out (rows x outputs): the
   * network as an ONNX model in the provider's element type, its session made once per set of
   * weights.
   */
  async runMlp({ x, rows, layers }: MlpInput, out: Float64Array): Promise<void> {
    this.checkOpen();
    const inputs = x.length / rows;
    const outputs = layers[layers.length - 1].b.length;
    if (out.length < rows * outputs) throw new RangeError(`runMlp: out has ${out.length} elements; needs rows x outputs = ${rows} x ${outputs}`);
    const dtype = this.provider.dtype;
    const key = layersKey(layers, inputs, dtype);
    await this.mlpSessions.use(
      key,
      () => this.createSession(mlpModelBytes(layers, { inputs, dtype })),
      async (session) => {
        const t0 = performance.now();
        const feed = new this.ort.Tensor(dtype, tensorData(x, dtype), [rows, inputs]);
        const t1 = performance.now();
        const result = await session.run({ [MLP_INPUT]: feed });
        const t2 = performance.now();
        const y = result[MLP_OUTPUT];
        if (y.data.length !== rows * outputs) throw new Error(`runMlp: the model gave ${y.data.length} values; expected rows x outputs = ${rows} x ${outputs}`);
        copyOutput(MLP_OUTPUT, y.data, out.subarray(0, rows * outputs));
        this.last = { core: 'dense', uploadMs: t1 - t0, computeMs: t2 - t1, downloadMs: performance.now() - t2 };
      },
    );
  }

  /**
   * Runs the ONNX model file at `path` (absolute, or relative to the working directory) on `feeds`,
   * one per model input. Its session is kept by path, size and modification time, so a model file
   * replaced in place is loaded again. Every output comes back as float64, in arrays from `allocate`.
   * Throws an OnnxArgumentError naming `model` or the feed that does not fit.
   */
  async runModelFile(path: string, feeds: Feeds, allocate: OutputAllocator = (_name, length) => new Float64Array(length)): Promise<ModelOutputs> {
    this.checkOpen();
    const file = resolve(path);
    const stat = modelFileStat(path, file);
    const key = `${file}\u0000${stat.size}\u0000${stat.mtimeMs}`;
    const load = (): Promise<InferenceSession> =>
      this.createSession(file).catch((err: unknown) => {
        throw new OnnxArgumentError('model', 'an ONNX model file that ONNX Runtime loads', `${path}: ${reasonOf(err)}`);
      });
    return this.fileSessions.use(key, load, async (session) => {
      const types = matchFeeds(session.inputMetadata, feeds);
      const t0 = performance.now();
      const tensors: Record<string, Tensor> = {};
      for (const [name, type] of types) tensors[name] = new this.ort.Tensor(type, tensorData(feeds[name].data, type), [...feeds[name].dims]);
      const t1 = performance.now();
      const result = await session.run(tensors);
      const t2 = performance.now();
      const outputs: ModelOutputs = {};
      for (const name of session.outputNames) {
        const tensor = result[name];
        const data = allocate(name, tensor.data.length);
        copyOutput(name, tensor.data, data);
        outputs[name] = { data, dims: [...tensor.dims] };
      }
      this.last = { core: undefined, uploadMs: t1 - t0, computeMs: t2 - t1, downloadMs: performance.now() - t2 };
      return outputs;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.mlpSessions.clear();
    await this.fileSessions.clear();
  }

  /**
   * One intra-op thread per session: the kernel pool already runs a call per thread on every core,
   * and ORT's own thread pool per session would oversubscribe them.
   */
  private createSession(model: Uint8Array | string): Promise<InferenceSession> {
    const options: InferenceSession.SessionOptions = { executionProviders: [this.provider.config], intraOpNumThreads: 1 };
    return typeof model === 'string' ? this.ort.InferenceSession.create(model, options) : this.ort.InferenceSession.create(model, options);
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('the onnx backend of this thread was closed');
  }
}

function modelFileStat(path: string, file: string): Stats {
  const expected = `the path of an ONNX model file (absolute, or relative to the working directory ${process.cwd()})`;
  let stat: Stats;
  try {
    stat = statSync(file);
  } catch {
    throw new OnnxArgumentError('model', expected, `${path} (no such file)`);
  }
  if (!stat.isFile()) throw new OnnxArgumentError('model', expected, `${path} (not a file)`);
  return stat;
}
