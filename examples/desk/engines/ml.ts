// ml: the desk model (models/desk-mlp.onnx) over the feature rows, in batches through the kernel
// pool: ONNX Runtime when it runs here, else the same layers on the `mlp` kernel (backend 'auto'),
// which gives the file's numbers to float32 precision. The call runs while rows keep arriving
// (pipeToSelf); they make the next batch. Publishes ml.<SYM> and the prediction cache key.
import { fileURLToPath } from 'node:url';
import { DESK_MODEL_FEATURES, DESK_MODEL_FILE, deskModelLayers, sharedArray, toShared, type ActorContext, type MlpLayer, type PipeOutcome } from 'dualbus';
import { CacheKeys, DESK_CACHE, Topics, type FeatureRow, type Prediction } from '../contract.js';
import { deskEngine } from '../engine.js';

type Runner = 'onnx' | 'mlp';

interface Done { type: 'ml-done'; rows: FeatureRow[]; runner: Runner; outcome: PipeOutcome<ArrayLike<number>> }

export type MlMsg =
  | FeatureRow
  | Done
  | { type: 'flush' }
  /** `runner`: 'mlp' skips ONNX; `model`: another ONNX file; a batch goes at `batch` rows, or after `flushMs` with fewer. */
  | { type: 'configure'; runner?: Runner; model?: string; batch?: number; flushMs?: number }
  | { type: 'stats?' };

export interface MlStats {
  rows: number;
  batches: number;
  predictions: number;
  errors: number;
  runner: Runner;
  /** Why ONNX is not used, once it failed. */
  fallbackReason?: string;
  lastError?: string;
}

interface State extends MlStats {
  batch: number;
  flushMs: number;
  pending: FeatureRow[];
  inFlight: boolean;
  flushDue: boolean;
  /** The package root's model file, found from this module's place in dist/examples/desk/engines/. */
  modelPath: string;
  /** On shared memory once, so that no call copies the weights. */
  layers: MlpLayer[];
}

type Ctx = ActorContext<MlStats>;

export default deskEngine<MlMsg, MlStats, State>({
  init: () => ({
    rows: 0, batches: 0, predictions: 0, errors: 0, runner: 'onnx', batch: 64, flushMs: 5, pending: [], inFlight: false, flushDue: false,
    modelPath: fileURLToPath(new URL(`../../../../${DESK_MODEL_FILE}`, import.meta.url)),
    layers: deskModelLayers().map((l) => ({ w: toShared(l.w), b: toShared(l.b), activation: l.activation })),
  }),
  receive(state, msg, ctx) {
    switch (msg.type) {
      case 'features':
        state.rows++;
        state.pending.push(msg);
        if (state.pending.length >= state.batch) start(state, ctx);
        else scheduleFlush(state, ctx);
        return;
      case 'flush':
        state.flushDue = false;
        return start(state, ctx);
      case 'ml-done':
        return onDone(state, msg, ctx);
      case 'configure':
        state.runner = msg.runner ?? state.runner;
        state.modelPath = msg.model ?? state.modelPath;
        state.batch = msg.batch ?? state.batch;
        state.flushMs = msg.flushMs ?? state.flushMs;
        return;
      case 'stats?': {
        const { rows, batches, predictions, errors, runner, fallbackReason, lastError } = state;
        return ctx.reply({ rows, batches, predictions, errors, runner, fallbackReason, lastError });
      }
    }
  },
});

/** The wait comes back as a message (pipeToSelf): the flush runs inside receive, not in a bare timer. */
function scheduleFlush(state: State, ctx: Ctx): void {
  if (state.flushDue || state.inFlight) return; // a call in flight flushes what waits when it returns
  state.flushDue = true;
  ctx.pipeToSelf(new Promise((resolve) => setTimeout(resolve, state.flushMs)), () => ({ type: 'flush' }));
}

function start(state: State, ctx: Ctx): void {
  if (state.inFlight || state.pending.length === 0) return;
  const rows = state.pending;
  state.pending = [];
  state.inFlight = true;
  state.batches++;
  const x = sharedArray(Float64Array, rows.length * DESK_MODEL_FEATURES);
  rows.forEach((row, i) => x.set(row.x.slice(0, DESK_MODEL_FEATURES), i * DESK_MODEL_FEATURES));
  const runner = state.runner;
  const call: Promise<ArrayLike<number>> =
    runner === 'onnx'
      ? ctx.kernels.run('model.onnx', { model: state.modelPath, feeds: { x: { data: x, dims: [rows.length, DESK_MODEL_FEATURES] } } }, { backend: 'onnx' }).then((r: { y: { data: Float64Array } }) => r.y.data)
      : ctx.kernels.run('mlp', { x, rows: rows.length, layers: state.layers }, { backend: 'auto' }).then((r: { out: Float64Array }) => r.out);
  ctx.pipeToSelf(call, (outcome): Done => ({ type: 'ml-done', rows, runner, outcome }));
}

function onDone(state: State, msg: Done, ctx: Ctx): void {
  state.inFlight = false;
  const { rows, outcome } = msg;
  if (!outcome.ok) {
    const reason = String((outcome.error as Error)?.message ?? outcome.error);
    if (msg.runner === 'onnx') {
      // No ONNX Runtime here (or no model file): the same network on the mlp kernel, for good.
      state.runner = 'mlp';
      state.fallbackReason = reason;
      state.pending = [...rows, ...state.pending];
    } else {
      state.errors++;
      state.lastError = reason;
    }
  } else {
    const cache = ctx.cache(DESK_CACHE);
    const backend = msg.runner === 'onnx' ? 'onnx' : 'mlp/auto';
    rows.forEach((row, i) => {
      const prediction: Prediction = { sym: row.sym, ts: row.ts, pUp: outcome.value[i], backend };
      state.predictions++;
      ctx.publish(Topics.prediction(row.sym), prediction);
      cache.set(CacheKeys.prediction(row.sym), prediction);
    });
  }
  if (state.pending.length >= state.batch || (!outcome.ok && msg.runner === 'onnx')) start(state, ctx);
  else if (state.pending.length > 0) scheduleFlush(state, ctx);
}
