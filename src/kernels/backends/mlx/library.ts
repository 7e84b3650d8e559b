import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { reasonOf } from '../accelerator.js';
import type { Mlx } from './mlx-types.js';

/** The environment variable that names another module to load instead of @frost-beta/mlx (tests make it missing). */
export const MLX_MODULE_ENV = 'DUALBUS_MLX_MODULE';

const PACKAGE = '@frost-beta/mlx';

/** The Debian/Ubuntu packages of the shared libraries the prebuilt binding links (ldd mlx.node). */
const SYSTEM_PACKAGES: Record<string, string> = {
  'liblapack.so.3': 'liblapack3',
  'libblas.so.3': 'libblas3',
  'libgfortran.so.5': 'libgfortran5',
  'libquadmath.so.0': 'libquadmath0',
};

export type MlxLoad = { ok: true; mx: Mlx; specifier: string } | { ok: false; reason: string };

/**
 * Imports MLX's bindings: @frost-beta/mlx, or the module DUALBUS_MLX_MODULE names (a package name,
 * or a path taken from the working directory). Never throws; why it failed is told in terms of
 * what to install, since the usual causes are outside this package: the npm package missing, its
 * prebuilt binding not downloaded (its install script is off in package.json's allowScripts), or
 * a system library the binding links missing.
 */
export async function loadMlx(): Promise<MlxLoad> {
  const specifier = process.env[MLX_MODULE_ENV] || PACKAGE;
  let mod: { core?: Mlx; default?: { core?: Mlx } };
  try {
    mod = (await import(importable(specifier))) as typeof mod;
  } catch (err) {
    return { ok: false, reason: whyNotLoaded(specifier, err) };
  }
  // A CommonJS package: Node's ESM loader exposes `core` by name, some loaders only under default.
  const mx = mod.core ?? mod.default?.core;
  if (mx === undefined || typeof mx.array !== 'function') return { ok: false, reason: `the module '${specifier}' loaded but has no MLX \`core\` namespace: it is not @frost-beta/mlx` };
  return { ok: true, mx, specifier };
}

function importable(specifier: string): string {
  return specifier.startsWith('.') || isAbsolute(specifier) ? pathToFileURL(resolve(specifier)).href : specifier;
}

function whyNotLoaded(specifier: string, err: unknown): string {
  const message = reasonOf(err);
  const sharedLibrary = /([\w.+-]+\.so(?:\.\d+)*): cannot open shared object file/.exec(message)?.[1];
  if (sharedLibrary !== undefined) {
    const pkg = SYSTEM_PACKAGES[sharedLibrary];
    return `the module '${specifier}' needs the shared library ${sharedLibrary}, which is not installed${pkg === undefined ? '' : ` (apt-get install ${pkg})`}: ${message}`;
  }
  if (/mlx\.node/.test(message)) {
    return `the module '${specifier}' has no native binding build/Release/mlx.node: its install script, which downloads it, did not run (node node_modules/${PACKAGE}/install.js): ${message}`;
  }
  const code = (err as { code?: unknown } | undefined)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return `the module '${specifier}' is not installed (npm install ${PACKAGE}): ${message}`;
  return `the module '${specifier}' did not load: ${message}`;
}
