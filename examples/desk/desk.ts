// Starts the desk in this process: a system with the desk's cache and kernel pool, the engines'
// supervision tree (all 13, or the share of one host), and the gateway with its dashboard.
import { createSystem, startGateway, type BusOptions, type Gateway, type System, type SystemOptions } from 'dualbus';
import { DESK_CACHE } from './contract.js';
import { deskTree, ENGINES, type EngineName } from './tree.js';

export interface DeskOptions {
  /** The system's (and host's) name. */
  name?: string;
  /** The engines this process runs (all by default). */
  engines?: readonly EngineName[];
  /** The gateway's port (0: any free one; if the one asked for is taken, any free one); false: none. */
  port?: number | false;
  /** Across hosts: the dual Redis bus, and the topic the hosts share their snapshots on. */
  bus?: BusOptions;
  hostsTopic?: string;
  logFormat?: 'json' | 'pretty';
  /** A pino logger of the caller's (tests keep the lifecycle lines to themselves). */
  logger?: SystemOptions['logger'];
}

export interface Desk {
  system: System;
  gateway: Gateway | undefined;
  engines: readonly EngineName[];
  stop(): Promise<void>;
}

/** The desk cache: factors, toxicity, predictions, P&L and VaR, read by every engine in place. */
const DESK_CACHE_OPTIONS = { maxBytes: 32 << 20, maxEntries: 65_536 };

export async function startDesk(o: DeskOptions = {}): Promise<Desk> {
  const engines = o.engines ?? ENGINES;
  const system = await createSystem({
    name: o.name ?? 'desk',
    caches: { [DESK_CACHE]: DESK_CACHE_OPTIONS },
    kernels: { threads: 1 },
    ...(o.bus !== undefined ? { bus: o.bus } : {}),
    ...(o.logFormat !== undefined ? { logFormat: o.logFormat } : {}),
    ...(o.logger !== undefined ? { logger: o.logger } : {}),
  });
  try {
    await system.start(deskTree(o.name ?? 'desk', engines));
    const gateway = o.port === false ? undefined : await openGateway(system, o.port ?? 0, o.hostsTopic);
    return {
      system,
      gateway,
      engines,
      async stop() {
        await gateway?.close();
        await system.shutdown();
      },
    };
  } catch (err) {
    await system.shutdown();
    throw err;
  }
}

async function openGateway(system: System, port: number, hostsTopic: string | undefined): Promise<Gateway> {
  const options = { drills: true, ...(hostsTopic !== undefined ? { hostsTopic } : {}) };
  try {
    return await startGateway(system, { ...options, port });
  } catch (err) {
    if ((err as { code?: string }).code !== 'EADDRINUSE' || port === 0) throw err;
    return startGateway(system, { ...options, port: 0 });
  }
}
