import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { runModelFile } from '../backends/onnx/backend.js';
import { OnnxArgumentError, checkFeed, type Feeds, type ModelOutputs } from '../backends/onnx/feeds.js';
import { openAccelerator } from '../backends/registry.js';
import { defineKernel, type KernelContext } from '../define.js';
import { BackendUnavailable } from '../errors.js';
import { requireObject } from './checks.js';

/** An ONNX model file and a feed ({ data, dims }) per model input. */
export interface ModelOnnxInput {
  /** The file's path: absolute, or relative to the working directory of the process. */
  model: string;
  feeds: Feeds;
}

/** Every model output by name: its values as float64 (shared unless options.out gave arrays) and its dimensions. */
export type ModelOnnxOutput = ModelOutputs;

const NAME = 'model.onnx';

function validateModelOnnx(input: unknown, ctx: KernelContext): asserts input is ModelOnnxInput {
  const o = requireObject(ctx, input, '{ model, feeds }');
  const where = `absolute, or relative to the working directory ${process.cwd()}`;
  if (typeof o.model !== 'string' || o.model === '') ctx.reject('model', `the path of an ONNX model file (${where})`, o.model);
  if (!isFile(resolve(o.model))) ctx.reject('model', `the path of an existing ONNX model file (${where})`, o.model);
  const feeds = o.feeds;
  if (typeof feeds !== 'object' || feeds === null || Array.isArray(feeds) || ArrayBuffer.isView(feeds) || Object.keys(feeds).length === 0) {
    ctx.reject('feeds', 'an object with a feed { data, dims } per model input, by input name', feeds);
  }
  // Each feed on its own here; against the model's inputs (names, element types, shapes) once its session is loaded.
  for (const [name, feed] of Object.entries(feeds)) {
    try {
      checkFeed(name, feed);
    } catch (err) {
      rejectArgument(ctx, err);
    }
  }
}

async function onOnnx(input: ModelOnnxInput, ctx: KernelContext): Promise<ModelOnnxOutput> {
  const load = await openAccelerator('onnx'); // once per thread: the registry keeps it
  if (!load.ok) throw new BackendUnavailable(ctx.kernel, 'onnx', load.reason);
  try {
    return await runModelFile(input.model, input.feeds, (name, length) => ctx.output(name, Float64Array, length));
  } catch (err) {
    return rejectArgument(ctx, err);
  }
}

/** A model or feed that does not fit becomes the kernel's KernelArgumentError naming it; anything else passes. */
function rejectArgument(ctx: KernelContext, err: unknown): never {
  if (err instanceof OnnxArgumentError) ctx.reject(err.argument, err.expected, err.given);
  throw err;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export const modelOnnxKernel = defineKernel<ModelOnnxInput, ModelOnnxOutput>({
  name: NAME,
  description: 'Runs an ONNX model file on ONNX Runtime: float32/float64 feeds by input name, every output as float64',
  validate: validateModelOnnx,
  js() {
    throw new BackendUnavailable(NAME, 'js', 'an ONNX model file runs on the onnx backend only');
  },
  onnx: onOnnx,
  size: (input) => Object.values(input.feeds).reduce((n, feed) => n + feed.data.length, 0),
});
