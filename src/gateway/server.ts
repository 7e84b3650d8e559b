// The gateway's server: fastify with @fastify/websocket, the routes, the stream hub, the metrics,
// the dashboard's files, and host sharing, put together and listening. Loaded by startGateway on
// first use (gateway.ts), so that whoever imports the package root without running a gateway
// (every actor worker preloads it) does not load fastify and prom-client.
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { System } from '../runtime/system.js';
import { parseJson } from './body.js';
import { GatewayError, httpErrorOf, RouteNotFound } from './errors.js';
import type { Gateway } from './gateway.js';
import { HostBoard, shareHostSnapshots } from './hosts.js';
import { GatewayMetrics } from './metrics.js';
import type { ResolvedGatewayOptions } from './options.js';
import { apiRoutes } from './routes.js';
import { hostSnapshot, type HostSnapshot, type Snapshot } from './snapshot.js';
import { DashboardFiles } from './static.js';
import { StreamHub, type StreamSocket } from './stream.js';

export async function serve(system: System, o: ResolvedGatewayOptions): Promise<Gateway> {
  // A pino logger is fastify's loggerInstance; its type is wider than fastify's base logger's.
  const app = Fastify({
    ...(typeof o.logger === 'boolean' ? { logger: o.logger } : { loggerInstance: o.logger as unknown as FastifyBaseLogger }),
    bodyLimit: o.maxBodyBytes,
  }) as unknown as FastifyInstance;
  const board = o.hostsTopic === undefined ? undefined : new HostBoard(system.name, system, o.hostsTopic);
  const others = (): HostSnapshot[] => board?.hosts() ?? [];
  const snapshot = (): Snapshot => ({ ts: Date.now(), hosts: [hostSnapshot(system), ...others()] });
  const hub = new StreamHub({ system, maxBufferedBytes: o.maxBufferedBytes, snapshotIntervalMs: o.snapshotIntervalMs, snapshot });
  const metrics = new GatewayMetrics({ host: system.name, hosts: () => [hostSnapshot(system), ...others()], stream: () => hub.counts() });
  const files = new DashboardFiles(o.dashboardDir);
  let requests = 0;
  let stopSharing: (() => void) | undefined;

  try {
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJson);
    app.setErrorHandler((err, req, reply) => {
      const { status, body } = httpErrorOf(err, o.maxBodyBytes);
      // The others are answers about the request or the actors; this one is a fault of the gateway's.
      if (body.error === 'InternalError') system.logger.error({ system: system.name, event: 'gateway-error', path: `${req.method} ${req.url}`, reason: { message: body.message, stack: (err as Error).stack } }, `gateway: ${req.method} ${req.url}: ${body.message}`);
      return reply.code(status).send(body);
    });
    app.setNotFoundHandler((req, reply) => {
      const { status, body } = httpErrorOf(new RouteNotFound(req.method, req.url), o.maxBodyBytes);
      return reply.code(status).send(body);
    });
    app.addHook('onResponse', async (_req, reply) => {
      requests++;
      metrics.countRequest(reply.statusCode);
    });
    // A client frame larger than maxBodyBytes closes its socket (1009): the one bound ws gives.
    await app.register(fastifyWebsocket, { options: { maxPayload: o.maxBodyBytes } });

    apiRoutes(app, { system, options: o, local: () => hostSnapshot(system), others });
    app.get('/metrics', async (_req, reply) => reply.type(metrics.contentType).send(await metrics.text()));
    app.route({
      method: 'GET',
      url: '/stream',
      handler: async () => {
        throw new GatewayError('UpgradeRequired', 426, 'GET /stream is a WebSocket: connect with a WebSocket client (an Upgrade: websocket request)');
      },
      wsHandler: (socket) => hub.open(socket as unknown as StreamSocket),
    });
    app.get<{ Params: { name: string } }>('/vendor/:name', async (req, reply) => {
      const file = await files.vendor(req.params.name);
      if (file === undefined) throw new RouteNotFound(req.method, req.url);
      return reply.type(file.type).header('cache-control', 'no-cache').send(file.body);
    });
    app.get<{ Params: { '*': string } }>('/*', async (req, reply) => {
      const file = await files.file(req.params['*']);
      if (file === undefined) throw new RouteNotFound(req.method, req.url);
      return reply.type(file.type).header('cache-control', 'no-cache').send(file.body);
    });

    await app.listen({ port: o.port, host: o.host });
    await board?.ready;
    if (o.hostsTopic !== undefined) stopSharing = shareHostSnapshots(system, { topic: o.hostsTopic, everyMs: o.snapshotIntervalMs });
  } catch (err) {
    hub.close();
    board?.close();
    await app.close();
    throw err;
  }

  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : o.port;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      (closing ??= (async () => {
        stopSharing?.();
        hub.close();
        board?.close();
        await app.close(); // closes the WebSocket clients too (@fastify/websocket's preClose)
      })()),
    stats: () => {
      const s = hub.counts();
      return { clients: s.clients, dropped: s.dropped, sent: s.sent, requests, maxBuffered: s.maxBuffered, subscriptions: s.subscriptions };
    },
  };
}
