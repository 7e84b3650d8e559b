import type { Logger } from 'pino';
import type { Endpoint } from '../transport/endpoint/endpoint.js';
import { resolveBusOptions } from '../transport/redis/config.js';
import { BusLink } from './bus-link.js';
import type { ResolvedSystemOptions } from './options.js';
import type { SystemDirectory } from './system-directory.js';

/** What a system lends its bus link. */
export interface SystemBusHost {
  name: string;
  options: ResolvedSystemOptions;
  bridgeEntry: URL;
  directory: SystemDirectory;
  endpoint: Endpoint;
  logger: Logger;
}

/**
 * Connects a system to the dual Redis bus (`options.bus`) before any actor starts: the bridge worker
 * starts, the host learns it as a peer, and its events go to the system's log. Throws (with the
 * link stopped and forgotten) when the options are wrong or the bridge cannot start.
 */
export async function connectSystemBus(host: SystemBusHost): Promise<void> {
  const { name, options, directory, logger } = host;
  if (options.bus === undefined) return;
  const bus = new BusLink(resolveBusOptions(options.bus, name), {
    bridgeEntry: host.bridgeEntry,
    peers: () => directory.allPeers(),
    subscriptions: () => directory.routedSubscriptions(),
    compressAbove: options.compressAbove,
    latencySampleEvery: options.latencySampleEvery,
    staleClaimMs: options.staleClaimMs,
    onDirectory: (actors, patterns) => void directory.setRemote(actors, patterns),
    onEvent: (event, detail, error) => {
      const level = event === 'directory' ? 'info' : event === 'redis-error' || event === 'unroutable' ? 'warn' : 'error';
      logger[level]({ system: name, event, ...detail, ...(error ? { reason: error } : {}) }, `bus: ${event}${error ? `: ${error.message}` : ''}`);
    },
  });
  directory.bus = bus;
  host.endpoint.setPeers([bus.entry]);
  try {
    await bus.start();
  } catch (err) {
    await bus.stop();
    directory.bus = undefined;
    throw err;
  }
}
