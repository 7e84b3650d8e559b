import type * as OrtNamespace from 'onnxruntime-node';

/** onnxruntime-node as this backend uses it (types only: the library itself is imported on open). */
export type Ort = typeof OrtNamespace;
export type { InferenceSession, Tensor } from 'onnxruntime-node';

/** The module imported when DUALBUS_ONNX_MODULE does not name another. */
export const DEFAULT_ORT_MODULE = 'onnxruntime-node';
/** The environment variable naming the module to import instead (tests make the library unavailable with it). */
export const ORT_MODULE_ENV = 'DUALBUS_ONNX_MODULE';

export function ortModuleSpecifier(): string {
  const named = process.env[ORT_MODULE_ENV];
  return named === undefined || named === '' ? DEFAULT_ORT_MODULE : named;
}

/**
 * Imports ONNX Runtime's Node binding (a CommonJS package: its exports arrive as the default
 * export, and as named ones where Node's lexer found them). Throws when the module is missing or
 * is not ONNX Runtime.
 */
export async function importOrt(specifier: string): Promise<Ort> {
  const mod = (await import(specifier)) as { default?: unknown };
  const ort = (mod.default ?? mod) as Partial<Ort>;
  if (typeof ort.InferenceSession?.create !== 'function' || typeof ort.Tensor !== 'function') {
    throw new Error(`the module '${specifier}' is not ONNX Runtime (it has no InferenceSession.create or Tensor)`);
  }
  return ort as Ort;
}

/** The binding's version, as the device string shows it. */
export function ortVersion(ort: Ort): string {
  const versions = ort.env.versions as { node?: string; common?: string } | undefined;
  return versions?.node ?? versions?.common ?? 'of unknown version';
}
