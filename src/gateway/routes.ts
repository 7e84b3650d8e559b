// The HTTP API over a running system: health, engines (read, ask, send, kill), publish, the tree,
// the snapshot, dead letters, kernel backends. Each handler checks its input, calls the system, and
// lets errors go to the error handler, whose table (errors.ts) gives each one its status.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { System } from '../runtime/system.js';
import { ActorNotFound, MailboxFull } from '../transport/errors.js';
import { askTimeout, fieldsOf, optionalString, required, topicField } from './body.js';
import { ActorNotRunning, DrillsDisabled, HostNotFound } from './errors.js';
import { toJson } from './json.js';
import type { ResolvedGatewayOptions } from './options.js';
import type { HostSnapshot, Snapshot } from './snapshot.js';

export interface RouteDeps {
  system: System;
  options: ResolvedGatewayOptions;
  /** This host's snapshot, taken now. */
  local(): HostSnapshot;
  /** The other hosts' latest snapshots (none without hostsTopic). */
  others(): HostSnapshot[];
}

type NameParams = { Params: { name: string } };

export function apiRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { system, options } = deps;
  const snapshot = (): Snapshot => ({ ts: Date.now(), hosts: [deps.local(), ...deps.others()] });

  app.get('/health', async (_req, reply) => {
    const actors = Object.entries(system.stats().actors);
    const notRunning = actors.filter(([, a]) => a.state !== 'running').map(([name]) => name);
    return reply.code(notRunning.length === 0 ? 200 : 503).send({
      status: notRunning.length === 0 ? 'ok' : 'degraded',
      system: system.name,
      uptimeS: Math.round(process.uptime() * 10) / 10,
      engines: { total: actors.length, running: actors.length - notRunning.length, notRunning },
    });
  });

  app.get<{ Querystring: { host?: string } }>('/engines', async (req) => {
    const host = req.query.host;
    if (host === undefined || host === system.name) return { host: system.name, engines: deps.local().engines };
    const others = deps.others();
    if (host === 'all') return { host: system.name, engines: [deps.local(), ...others].flatMap((h) => h.engines) };
    const other = others.find((h) => h.host === host);
    if (other === undefined) throw new HostNotFound(host, [system.name, ...others.map((h) => h.host)]);
    return { host: system.name, engines: other.engines };
  });

  app.get<NameParams>('/engines/:name', async (req) => {
    const engine = deps.local().engines.find((e) => e.name === req.params.name);
    if (engine === undefined) throw new ActorNotFound(req.params.name);
    return engine;
  });

  app.post<NameParams>('/engines/:name/ask', async (req, reply) => {
    const fields = fieldsOf(req.body, ['message', 'timeoutMs']);
    const message = required(fields, 'message');
    const timeoutMs = askTimeout(fields, options.askTimeoutMs);
    const answer = await system.ref(req.params.name).ask(message, { timeoutMs });
    return sendJson(reply, 200, { reply: answer ?? null });
  });

  app.post<NameParams>('/engines/:name/send', async (req, reply) => {
    const message = required(fieldsOf(req.body, ['message']), 'message');
    const name = req.params.name;
    if (!system.ref(name).send(message)) throw new MailboxFull(name, system.stats().actors[name]?.mailboxBytesUsed ?? 0);
    return reply.code(202).send({ accepted: true });
  });

  app.post<NameParams>('/engines/:name/kill', async (req, reply) => {
    const name = req.params.name;
    if (!options.drills) throw new DrillsDisabled(name);
    const reason = optionalString(fieldsOf(req.body, ['reason'], true), 'reason', 500);
    if (!system.kill(name, reason ?? 'killed through the gateway (a failure drill)')) throw new ActorNotRunning(name);
    return reply.code(202).send({ killed: true });
  });

  app.post('/publish', async (req, reply) => {
    const fields = fieldsOf(req.body, ['topic', 'message']);
    const topic = topicField(fields);
    const published = system.publish(topic, required(fields, 'message'));
    return reply.code(202).send({ published });
  });

  app.get('/tree', async () => {
    const local = deps.local();
    return { host: local.host, tree: local.tree };
  });

  app.get('/snapshot', async () => snapshot());

  app.get('/dead-letters', async (_req, reply) => sendJson(reply, 200, { deadLetters: system.deadLetters() }));

  // Probes the accelerators the first time (a pool thread opens them): asked for, never polled.
  app.get('/kernels/backends', async () => ({ host: system.name, backends: await system.kernels.backends() }));
}

/** A body that may hold what actors send (records, typed arrays, BigInts): made JSON by toJson. */
function sendJson(reply: FastifyReply, status: number, value: unknown): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(toJson(value));
}
