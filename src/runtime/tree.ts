import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { childSpec, type ChildSpec } from '../../supervisors/spec.js';
import { InvalidOption } from '../transport/errors.js';
import { SYSTEM_DEFAULTS, splitChildOptions, type ChildOptions } from './options.js';

export { supervisor } from '../../supervisors/spec.js';

/**
 * A worker child of a supervision tree: actor `name` from the module at `moduleUrl`, spawned with
 * `options` (wait strategy, mailbox sizes, limits) and supervised by them (restart type, onError
 * directive, backoff, maxDeliveries, hangTimeoutMs...). Options are checked here, at the boundary.
 */
export function child(name: string, moduleUrl: URL | string, options?: ChildOptions): ChildSpec<ChildOptions> {
  moduleUrlOf(moduleUrl);
  const { policy } = splitChildOptions(options, SYSTEM_DEFAULTS.stopTimeoutMs);
  return childSpec(name, moduleUrl, policy, options ?? {});
}

export function moduleUrlOf(moduleUrl: URL | string): string {
  if (moduleUrl instanceof URL) return moduleUrl.href;
  if (typeof moduleUrl === 'string' && moduleUrl !== '') {
    if (/^(file|data):/.test(moduleUrl)) return moduleUrl;
    if (isAbsolute(moduleUrl)) return pathToFileURL(moduleUrl).href;
  }
  throw new InvalidOption('moduleUrl', 'a URL, a file: URL string or an absolute path', moduleUrl);
}
