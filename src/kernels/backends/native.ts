import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORE_NAMES, type NumericCores } from '../cores.js';

/** What loading the native addon gave: its cores and the file, or why there are none. */
export type NativeLoadResult = { ok: true; cores: NumericCores; path: string } | { ok: false; reason: string };

/** The environment variable that points loadNativeCores at another addon file. */
export const NATIVE_ADDON_ENV = 'DUALBUS_NATIVE_ADDON';

const ADDON_FILE = join('native', 'build', 'Release', 'dualbus_native.node');

// Module state lives in each thread's own copy of this module: the cache is per thread. Keyed by
// the path so that pointing DUALBUS_NATIVE_ADDON elsewhere is honoured.
const cache = new Map<string, NativeLoadResult>();

/**
 * The numeric cores of the native addon (native/, built by `npm install` or `npm run build:native`),
 * loaded once per thread. The addon is found at native/build/Release/dualbus_native.node under the
 * package root (the nearest directory above this module with a package.json and a native/ folder:
 * the same from src/ under vitest and from dist/src/ once compiled); DUALBUS_NATIVE_ADDON names
 * another file. Never throws: a missing or unloadable addon gives `{ ok: false, reason }`.
 */
export function loadNativeCores(): NativeLoadResult {
  const override = process.env[NATIVE_ADDON_ENV];
  const root = packageRoot();
  const overridden = override !== undefined && override !== '';
  let path: string;
  if (overridden) path = resolve(override);
  else if (root !== undefined) path = join(root, ADDON_FILE);
  else return { ok: false, reason: `the dualbus package root (a directory with package.json and native/) was not found above ${moduleDir()}` };
  let result = cache.get(path);
  if (result === undefined) {
    result = load(path, overridden ? undefined : root);
    cache.set(path, result);
  }
  return result;
}

function load(path: string, root: string | undefined): NativeLoadResult {
  if (!existsSync(path)) {
    let reason = `the native addon ${path}${root === undefined ? ` (from ${NATIVE_ADDON_ENV})` : ''} does not exist: its build failed or it was removed (npm run build:native builds it)`;
    const status = root === undefined ? undefined : buildStatus(join(root, 'native', 'build', 'status.json'));
    if (status !== undefined) reason += `; ${status}`;
    return { ok: false, reason };
  }
  let addon: Record<string, unknown>;
  try {
    addon = createRequire(import.meta.url)(path) as Record<string, unknown>;
  } catch (err) {
    return { ok: false, reason: `the native addon ${path} does not load: ${err instanceof Error ? err.message : String(err)}` };
  }
  const missing = CORE_NAMES.filter((name) => typeof addon[name] !== 'function');
  if (missing.length > 0) return { ok: false, reason: `the native addon ${path} lacks ${missing.join(', ')}: it is out of date (npm run build:native)` };
  const cores = Object.freeze(Object.fromEntries(CORE_NAMES.map((name) => [name, addon[name]]))) as unknown as NumericCores;
  return { ok: true, cores, path };
}

/** What native/build/status.json says of the last build, when it says it failed. */
function buildStatus(file: string): string | undefined {
  try {
    const status = JSON.parse(readFileSync(file, 'utf8')) as { ok?: unknown; reason?: unknown };
    if (status.ok === false) return `the last build (${file}) failed: ${String(status.reason)}`;
    if (status.ok === true) return `the last build (${file}) succeeded, so the file was removed since`;
  } catch {
    // no status: the build never ran (npm install --ignore-scripts) or build/ was removed whole
  }
  return undefined;
}

function moduleDir(): string {
  return dirname(fileURLToPath(import.meta.url));
}

let root: string | null | undefined;

function packageRoot(): string | undefined {
  if (root === undefined) {
    root = null;
    for (let dir = moduleDir(); ; ) {
      if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'native'))) {
        root = dir;
        break;
      }
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return root ?? undefined;
}
