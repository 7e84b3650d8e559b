// startGateway: an HTTP API, a WebSocket stream, Prometheus metrics and the web dashboard over a
// running system. This file is what the package root loads: it checks the options and loads the
// server (fastify, prom-client) only when a gateway is started.
import type { System } from '../runtime/system.js';
import { InvalidOption } from '../transport/errors.js';
import { resolveGatewayOptions, type GatewayOptions } from './options.js';

export interface GatewayStats {
  /** WebSocket clients connected to /stream now. */
  clients: number;
  /** `{ topic, data }` frames dropped because their client's buffer was over maxBufferedBytes. */
  dropped: number;
  /** `{ topic, data }` frames sent to WebSocket clients. */
  sent: number;
  /** HTTP requests answered. */
  requests: number;
  /** The most bytes one client had buffered right after a send: at most maxBufferedBytes plus one message. */
  maxBuffered: number;
  /** Distinct patterns the clients hold: one system subscription each, shared by every client of it. */
  subscriptions: number;
}

export interface Gateway {
  /** `http://<host>:<port>`. */
  readonly url: string;
  /** The port it listens on (the one the OS chose when `port` was 0). */
  readonly port: number;
  /** Stops listening, closes the WebSocket clients and ends the gateway's system subscriptions. */
  close(): Promise<void>;
  stats(): GatewayStats;
}

/**
 * Serves `system` over HTTP and WebSocket (see README "Gateway"). Resolves once it listens; rejects
 * with InvalidOption for a wrong option, or with the listen error (a port in use).
 */
export async function startGateway(system: System, options?: GatewayOptions): Promise<Gateway> {
  if (typeof (system as Partial<System> | null)?.stats !== 'function' || typeof system.subscribe !== 'function') {
    throw new InvalidOption('system', 'a System (from createSystem)', system);
  }
  const resolved = resolveGatewayOptions(options);
  const { serve } = await import('./server.js');
  return serve(system, resolved);
}
