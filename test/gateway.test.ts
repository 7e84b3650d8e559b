import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { child, GATEWAY_DEFAULTS, InvalidOption, startGateway, supervisor, type Gateway, type System } from 'dualbus';
import { call, parseMetrics, rawGet, sample } from './gateway-http.js';
import { eventually, fixture, testSystem } from './helpers.js';

describe('startGateway options', () => {
  let system: System;
  beforeAll(async () => ({ system } = await testSystem({ name: 'opts', warmWorkers: 0 })));
  afterAll(() => system.shutdown());

  it('a wrong or unknown option is refused with InvalidOption naming it, what it takes and what it got; the defaults are frozen', async () => {
    await expect(startGateway(system, { port: -1 })).rejects.toThrow(/option 'port' must be an integer from 0 to 65535 \(0: any free port\); got -1/);
    await expect(startGateway(system, { colour: 'red' } as never)).rejects.toThrow(/option 'gateway options.colour' must be one of the known options \(port, host,/);
    await expect(startGateway(system, { hostsTopic: 'gateway.*' })).rejects.toThrow(/option 'hostsTopic' must be a non-empty topic without wildcards \(\* or \?\); got "gateway.\*"/);
    await expect(startGateway(system, { maxBufferedBytes: 0 })).rejects.toThrow(/option 'maxBufferedBytes' must be a positive integer; got 0/);
    await expect(startGateway(system, { drills: 'yes' } as never)).rejects.toThrow(/option 'drills' must be a boolean; got "yes"/);
    await expect(startGateway(system, { snapshotIntervalMs: 1 })).rejects.toThrow(/'snapshotIntervalMs' must be a finite number of milliseconds >= 10; got 1/);
    await expect(startGateway(system, { logger: 'loud' } as never)).rejects.toThrow(/'logger' must be a boolean or a pino logger/);
    await expect(startGateway(null as never)).rejects.toThrow(InvalidOption);
    expect(Object.isFrozen(GATEWAY_DEFAULTS)).toBe(true);
    expect(GATEWAY_DEFAULTS).toMatchObject({ port: 0, host: '127.0.0.1', snapshotIntervalMs: 500, maxBufferedBytes: 1 << 20, maxBodyBytes: 64 << 10, drills: false, askTimeoutMs: 2000, hostsTopic: undefined, logger: false });
  });
});

describe('the gateway over a running system', () => {
  let system: System;
  let gateway: Gateway;
  let drills: Gateway;
  let base: string;
  let dashboard: string;
  const outside = join(tmpdir(), `dualbus-outside-${process.pid}.js`);

  beforeAll(async () => {
    ({ system } = await testSystem({ name: 'gw', warmWorkers: 1, kernels: { threads: 1 } }));
    await system.start(
      supervisor({
        name: 'desk',
        children: [supervisor({ name: 'signals', children: [child('vpin', fixture('gateway-sink'))] }), child('tally', fixture('tally'))],
      }),
    );
    await system.spawn('slow', fixture('gateway-sink'), { mailboxBytes: 1024 });
    await system.spawn('once', fixture('gateway-sink'), { restart: 'temporary' });
    // restarts a second after a failure: long enough to see it down
    await system.spawn('flap', fixture('gateway-sink'), { backoff: { minMs: 1000, maxMs: 1000, jitter: 0 } });
    dashboard = mkdtempSync(join(tmpdir(), 'dualbus-dashboard-'));
    writeFileSync(join(dashboard, 'index.html'), '<!doctype html><title>desk</title>');
    writeFileSync(join(dashboard, 'app.js'), 'export const app = 1;');
    writeFileSync(join(dashboard, '.secret.js'), 'hidden');
    mkdirSync(join(dashboard, 'css'));
    writeFileSync(join(dashboard, 'css', 'desk.css'), 'body { margin: 0 }');
    writeFileSync(join(dashboard, 'notes.txt'), 'not a type the dashboard serves');
    writeFileSync(outside, 'outside');
    symlinkSync(outside, join(dashboard, 'link.js'));
    gateway = await startGateway(system, { dashboardDir: dashboard, maxBodyBytes: 4096 });
    drills = await startGateway(system, { drills: true }); // and the package's own dashboard
    base = gateway.url;
  });
  afterAll(async () => {
    await gateway?.close();
    await drills?.close();
    await system?.shutdown();
    rmSync(dashboard, { recursive: true, force: true });
    rmSync(outside, { force: true });
  });

  it('listens on a free port of 127.0.0.1 and says where', () => {
    expect(gateway.port).toBeGreaterThan(0);
    expect(base).toBe(`http://127.0.0.1:${gateway.port}`);
    expect(drills.port).not.toBe(gateway.port);
  });

  it('GET /health: 200 ok while every engine runs; 503 degraded naming the one down', async () => {
    const ok = await call(base, 'GET', '/health');
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'ok', system: 'gw', engines: { total: 5, running: 5, notRunning: [] } });
    expect(ok.body.uptimeS).toBeGreaterThan(0);
    expect(system.kill('flap')).toBe(true); // down for its 1 s backoff
    const down = await eventually(() => call(base, 'GET', '/health'), (a) => a.status !== 200, 900);
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: 'degraded', system: 'gw', engines: { total: 5, running: 4, notRunning: ['flap'] } });
    await eventually(() => call(base, 'GET', '/health'), (a) => a.status === 200, 5000);
    expect(system.stats().actors.flap!.restarts).toBe(1);
  });

  it('GET /engines lists every engine with its figures from stats; /engines/:name one; an unknown name is 404 ActorNotFound', async () => {
    for (let seq = 0; seq < 5; seq++) system.ref('tally').send({ seq });
    await eventually(() => system.ref('tally').ask({ type: 'tally?' }), (t: any) => t.count === 5);
    const all = await call(base, 'GET', '/engines');
    expect(all.status).toBe(200);
    expect(all.body.host).toBe('gw');
    expect(all.body.engines.map((e: any) => e.name)).toEqual(['vpin', 'tally', 'slow', 'once', 'flap']);
    const tally = all.body.engines[1];
    const stats = system.stats().actors.tally!;
    expect(Object.keys(tally).sort()).toEqual(
      ['host', 'name', 'path', 'state', 'restarts', 'uptimePct', 'uptimeMs', 'mttrMs', 'messagesPerSec', 'received', 'sent', 'asksSent', 'repliesReceived', 'errors', 'deadLetters', 'overflows', 'mailboxDepth', 'highWater', 'mailboxBytesUsed', 'latencyUs', 'handlerMs', 'restartsVia', 'standby', 'threadId'].sort(),
    );
    expect(tally).toMatchObject({ host: 'gw', name: 'tally', path: 'desk/tally', state: 'running', restarts: 0, mttrMs: null, received: stats.received, errors: 0, deadLetters: 0, mailboxDepth: 0, threadId: stats.threadId });
    expect(tally.received).toBeGreaterThanOrEqual(6);
    expect(tally.latencyUs).toEqual(stats.latencyUs);
    expect(all.body.engines.find((e: any) => e.name === 'flap')).toMatchObject({ restarts: 1, restartsVia: { warm: 1 } });
    const one = await call(base, 'GET', '/engines/tally');
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ name: 'tally', path: 'desk/tally', received: stats.received });
    expect(await call(base, 'GET', '/engines/nope')).toMatchObject({ status: 404, body: { error: 'ActorNotFound', message: "no actor named 'nope'" } });
    // ?host: this one by name, all (no other host shares here), or 404 for one never heard of
    expect((await call(base, 'GET', '/engines?host=gw')).body.engines).toHaveLength(5);
    expect((await call(base, 'GET', '/engines?host=all')).body.engines).toHaveLength(5);
    const mars = await call(base, 'GET', '/engines?host=mars');
    expect(mars.status).toBe(404);
    expect(mars.body).toEqual({ error: 'HostNotFound', message: "no host named 'mars' has shared a snapshot in the last 5 s (known: gw; 'all' lists every one)" });
  });

  it('GET /tree nests the supervisors by the engines paths, in start order', async () => {
    const { status, body } = await call(base, 'GET', '/tree');
    expect(status).toBe(200);
    const engine = (name: string, path: string) => ({ name, kind: 'engine', path, state: 'running', restarts: expect.any(Number) });
    expect(body).toEqual({
      host: 'gw',
      tree: [
        { name: 'desk', kind: 'supervisor', path: 'desk', children: [{ name: 'signals', kind: 'supervisor', path: 'desk/signals', children: [engine('vpin', 'desk/signals/vpin')] }, engine('tally', 'desk/tally')] },
        { name: '$spawned', kind: 'supervisor', path: '$spawned', children: [engine('slow', '$spawned/slow'), engine('once', '$spawned/once'), engine('flap', '$spawned/flap')] },
      ],
    });
  });

  it('POST /engines/:name/ask answers { reply }, and each failure with its status and code', async () => {
    expect(await call(base, 'POST', '/engines/vpin/ask', { message: { type: 'echo', value: { deep: [1, 'two', null] } } })).toMatchObject({ status: 200, body: { reply: { deep: [1, 'two', null] } } });
    const threw = await call(base, 'POST', '/engines/vpin/ask', { message: { type: 'throw', message: 'bad input' } });
    expect(threw.status).toBe(502);
    expect(threw.body).toEqual({ error: 'RemoteError', message: "actor 'vpin' failed to answer: Error: bad input" });
    expect(await call(base, 'POST', '/engines/vpin/ask', { message: { type: 'silent' } })).toMatchObject({ status: 502, body: { error: 'NoReply' } });
    system.ref('vpin').send({ type: 'sleep', ms: 300 });
    const late = await call(base, 'POST', '/engines/vpin/ask', { message: { type: 'count?' }, timeoutMs: 50 });
    expect(late).toMatchObject({ status: 504, body: { error: 'AskTimeout', message: "ask to actor 'vpin' got no reply within 50 ms" } });
    expect(await call(base, 'POST', '/engines/nope/ask', { message: 1 })).toMatchObject({ status: 404, body: { error: 'ActorNotFound' } });
    // a temporary actor whose worker dies with the ask in hand is not coming back: 409
    const crashed = await call(base, 'POST', '/engines/once/ask', { message: { type: 'exit' } });
    expect(crashed.status).toBe(409);
    expect(crashed.body.error).toBe('ActorCrashed');
    expect(crashed.body.message).toMatch(/^actor 'once' crashed: /);
  });

  it('a bad request body is 400 (413 too large, 415 not JSON) naming the field, what it takes and what it got', async () => {
    const ask = (body: unknown, raw?: { text: string; type?: string }) => call(base, 'POST', '/engines/vpin/ask', body, raw);
    expect(await ask(undefined, { text: '{"message": ', type: 'application/json' })).toMatchObject({ status: 400, body: { error: 'InvalidJson', message: expect.stringMatching(/^the request body is not valid JSON: .*JSON/) } });
    expect(await ask(undefined, { text: '', type: 'application/json' })).toMatchObject({ status: 400, body: { error: 'InvalidJson' } });
    expect(await ask([1, 2])).toEqual({ status: 400, type: expect.any(String), body: { error: 'InvalidBody', message: "the request body must be a JSON object with 'message', 'timeoutMs' (content-type: application/json); got an array of 2" } });
    expect((await ask(undefined, { text: 'hello', type: 'text/plain' })).body).toEqual({ error: 'InvalidBody', message: "the request body must be a JSON object with 'message', 'timeoutMs' (content-type: application/json); got \"hello\"" });
    expect((await ask({})).body).toEqual({ error: 'InvalidField', message: "field 'message' must be present (any JSON value); got nothing" });
    expect(await ask({ message: 1, timeoutMs: 'soon' })).toMatchObject({ status: 400, body: { error: 'InvalidField', message: "field 'timeoutMs' must be a number of milliseconds above 0 and at most 2000 (the gateway's askTimeoutMs); got \"soon\"" } });
    expect((await ask({ message: 1, timeoutMs: 60_000 })).body.message).toMatch(/field 'timeoutMs' must be .* at most 2000 .*; got 60000/);
    expect(await ask({ message: 1, timeout: 5 })).toMatchObject({ status: 400, body: { error: 'UnknownField', message: "field 'timeout' is not taken here; the fields are 'message', 'timeoutMs'" } });
    expect(await ask({ message: 'x'.repeat(5000) })).toMatchObject({ status: 413, body: { error: 'BodyTooLarge', message: "the request body is larger than 4096 bytes (the gateway's maxBodyBytes)" } });
    expect(await ask(undefined, { text: '<a/>', type: 'application/xml' })).toMatchObject({ status: 415, body: { error: 'UnsupportedMediaType' } });
  });

  it('POST /engines/:name/send is 202 { accepted: true }, and 503 MailboxFull when the mailbox refused', async () => {
    expect(await call(base, 'POST', '/engines/vpin/send', { message: { seq: 1 } })).toMatchObject({ status: 202, body: { accepted: true } });
    expect(await call(base, 'POST', '/engines/vpin/send', { message: null })).toMatchObject({ status: 202 });
    expect(await eventually(() => system.ref('vpin').ask({ type: 'count?' }), (c: any) => c.n === 1)).toMatchObject({ n: 1 });
    expect(await call(base, 'POST', '/engines/nope/send', { message: 1 })).toMatchObject({ status: 404, body: { error: 'ActorNotFound' } });
    expect(await call(base, 'POST', '/engines/vpin/send', { msg: 1 })).toMatchObject({ status: 400, body: { error: 'UnknownField' } });
    system.ref('slow').send({ type: 'sleep', ms: 1000 }); // a 1 KiB mailbox, and nobody reading it for a second
    let full: any;
    for (let i = 0; i < 200 && full === undefined; i++) {
      const a = await call(base, 'POST', '/engines/slow/send', { message: { seq: i } });
      if (a.status !== 202) full = a;
    }
    expect(full).toMatchObject({ status: 503, body: { error: 'MailboxFull', message: expect.stringMatching(/^mailbox of actor 'slow' is full \(\d+ bytes in use\); the message was not sent$/) } });
  });

  it('POST /publish is 202 { published }: false when a subscriber could not take it; a topic with wildcards is 400', async () => {
    await eventually(() => system.ref('slow').ask({ type: 'count?' }, { timeoutMs: 3000 }), () => true, 5000); // 'slow' has caught up
    const before = ((await system.ref('vpin').ask({ type: 'count?' })) as any).topics;
    expect(await call(base, 'POST', '/publish', { topic: 'sink.a', message: { px: 1 } })).toMatchObject({ status: 202, body: { published: true } });
    await eventually(() => system.ref('vpin').ask({ type: 'count?' }), (c: any) => c.topics === before + 1);
    system.ref('slow').send({ type: 'sleep', ms: 1000 });
    let refused: any;
    for (let i = 0; i < 200 && refused === undefined; i++) {
      const a = await call(base, 'POST', '/publish', { topic: 'sink.flood', message: i });
      if (a.body.published !== true) refused = a;
    }
    expect(refused).toEqual({ status: 202, type: expect.any(String), body: { published: false } });
    for (const topic of ['sink.*', 'sink.?', '', 7]) {
      expect(await call(base, 'POST', '/publish', { topic, message: 1 })).toMatchObject({ status: 400, body: { error: 'InvalidField', message: expect.stringMatching(/^field 'topic' must be a non-empty topic without wildcards/) } });
    }
    expect((await call(base, 'POST', '/publish', { topic: 'sink.a' })).body).toEqual({ error: 'InvalidField', message: "field 'message' must be present (any JSON value); got nothing" });
  });

  it('POST /engines/:name/kill is 403 with drills off; with drills on 202 (the supervisor restarts it), 404 unknown, 409 when no worker of it runs', async () => {
    const off = await call(base, 'POST', '/engines/tally/kill', {});
    expect(off).toMatchObject({ status: 403, body: { error: 'DrillsDisabled', message: "killing actor 'tally' is a failure drill, and drills are off: start the gateway with { drills: true } to allow it" } });
    expect(await call(drills.url, 'POST', '/engines/nope/kill')).toMatchObject({ status: 404, body: { error: 'ActorNotFound' } });
    expect(await call(drills.url, 'POST', '/engines/tally/kill', { reason: 42 })).toMatchObject({ status: 400, body: { error: 'InvalidField', message: "field 'reason' must be a string of at most 500 characters; got 42" } });
    const restarts = system.stats().actors.tally!.restarts;
    expect(await call(drills.url, 'POST', '/engines/tally/kill', { reason: 'drill' })).toMatchObject({ status: 202, body: { killed: true } });
    // the same worker is being killed already: nothing of it runs to kill
    expect(await call(drills.url, 'POST', '/engines/tally/kill')).toMatchObject({ status: 409, body: { error: 'ActorNotRunning' } });
    await eventually(() => call(base, 'GET', '/engines/tally'), (a) => a.body.state === 'running' && a.body.restarts === restarts + 1, 5000);
  });

  it('GET /metrics: Prometheus text whose figures are the stats, per actor, cache and kernel, and the gateway own', async () => {
    for (let seq = 0; seq < 20; seq++) expect((await call(base, 'POST', '/engines/tally/send', { message: { seq } })).status).toBe(202);
    await eventually(() => system.ref('tally').ask({ type: 'tally?' }), (t: any) => t.count >= 20);
    system.cache().set('k', 1);
    system.cache().get('k');
    system.cache().get('missing');
    await system.kernels.run('matmul', { a: Float64Array.of(1, 2), b: Float64Array.of(3, 4), m: 1, k: 2, n: 1 }, { backend: 'js' });
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0.0.4/);
    const text = await res.text();
    const stats = system.stats();
    const m = parseMetrics(text);
    const tally = { host: 'gw', actor: 'tally' };
    const t = stats.actors.tally!;
    expect(sample(m, 'dualbus_actor_messages_received_total', tally)).toBe(t.received);
    expect(t.received).toBeGreaterThanOrEqual(20);
    expect(sample(m, 'dualbus_actor_messages_sent_total', tally)).toBe(t.sent);
    expect(sample(m, 'dualbus_actor_restarts_total', tally)).toBe(t.restarts);
    expect(sample(m, 'dualbus_actor_errors_total', { host: 'gw', actor: 'vpin' })).toBe(stats.actors.vpin!.errors);
    expect(stats.actors.vpin!.errors).toBeGreaterThan(0); // the ask that threw
    expect(sample(m, 'dualbus_actor_mailbox_depth', tally)).toBe(0);
    expect(sample(m, 'dualbus_actor_mailbox_high_water', tally)).toBe(t.highWater);
    expect(sample(m, 'dualbus_actor_latency_seconds', { ...tally, quantile: '0.99' })).toBeCloseTo(t.latencyUs.p99 / 1e6, 12);
    expect(sample(m, 'dualbus_actor_latency_seconds', { ...tally, quantile: '0.5' })).toBeCloseTo(t.latencyUs.p50 / 1e6, 12);
    expect(sample(m, 'dualbus_actor_latency_seconds', { ...tally, quantile: '0.999' })).toBeCloseTo(t.latencyUs.p999 / 1e6, 12);
    expect(sample(m, 'dualbus_actor_uptime_ratio', tally)).toBeCloseTo(t.uptimePct / 100, 2);
    expect(sample(m, 'dualbus_actor_state', { ...tally, state: 'running' })).toBe(1);
    expect(sample(m, 'dualbus_actor_state', { ...tally, state: 'restarting' })).toBe(0);
    expect(sample(m, 'dualbus_actor_restarts_via_total', { ...tally, via: 'warm' })).toBe(t.restartsVia.warm);
    expect(sample(m, 'dualbus_actor_messages_received_total', { actor: 'once' })).toBeUndefined(); // gone for good
    const cache = { host: 'gw', cache: 'default' };
    expect([sample(m, 'dualbus_cache_hits_total', cache), sample(m, 'dualbus_cache_misses_total', cache), sample(m, 'dualbus_cache_hit_ratio', cache), sample(m, 'dualbus_cache_entries', cache)]).toEqual([1, 1, 0.5, 1]);
    expect(sample(m, 'dualbus_cache_bytes', cache)).toBe(stats.caches.default!.bytes);
    const kernel = { host: 'gw', kernel: 'matmul', backend: 'js' };
    expect(sample(m, 'dualbus_kernel_calls_total', kernel)).toBe(1);
    expect(sample(m, 'dualbus_kernel_run_seconds', { ...kernel, quantile: '0.99' })).toBeCloseTo(stats.kernels.kernels.matmul!.js!.runUs.p99 / 1e6, 12);
    expect(sample(m, 'dualbus_gateway_ws_clients', { host: 'gw' })).toBe(0);
    expect(sample(m, 'dualbus_gateway_http_requests_total', { host: 'gw', status: '202' })).toBeGreaterThanOrEqual(20);
    expect(sample(m, 'dualbus_gateway_http_requests_total', { host: 'gw', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(sample(m, 'dualbus_gateway_hosts')).toBe(1);
    expect(sample(m, 'process_cpu_user_seconds_total')).toBeGreaterThan(0); // prom-client's default metrics
    expect(text).toMatch(/# TYPE dualbus_actor_messages_received_total counter/);
    expect(text).toMatch(/# TYPE dualbus_actor_mailbox_depth gauge/);
    expect(gateway.stats().requests).toBeGreaterThan(20);
  });

  it('serves the dashboard directory: its plain files only, with their types; /vendor/uplot.*; JSON 404 for the rest', async () => {
    const index = await call(base, 'GET', '/');
    expect(index).toMatchObject({ status: 200, type: 'text/html; charset=utf-8', body: '<!doctype html><title>desk</title>' });
    expect(await call(base, 'GET', '/app.js')).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8', body: 'export const app = 1;' });
    expect(await call(base, 'GET', '/css/desk.css')).toMatchObject({ status: 200, type: 'text/css; charset=utf-8' });
    const uplot = await call(base, 'GET', '/vendor/uplot.js');
    expect(uplot).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8' });
    expect(uplot.body).toMatch(/uPlot/);
    expect(await call(base, 'GET', '/vendor/uplot.css')).toMatchObject({ status: 200, type: 'text/css; charset=utf-8' });
    for (const path of ['/.secret.js', '/link.js', '/notes.txt', '/css', '/nope.js', '/vendor/react.js']) {
      expect(await call(base, 'GET', path), path).toMatchObject({ status: 404, body: { error: 'NotFound', message: `no route GET ${path}` } });
    }
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/css/..%2f..%2fpackage.json', '/..%5cpackage.json', '/%2fetc%2fpasswd.js', `/${encodeURIComponent(join(dashboard, 'app.js'))}`]) {
      const a = await rawGet(gateway.port, path);
      expect([a.status, JSON.parse(a.text).error], path).toEqual([404, 'NotFound']);
    }
    // the package's dashboard, found from dist/src/gateway/ (the default dashboardDir)
    expect(await call(drills.url, 'GET', '/')).toMatchObject({ status: 200, type: 'text/html; charset=utf-8', body: expect.stringMatching(/<html/i) });
    expect(await call(drills.url, 'GET', '/app.js')).toMatchObject({ status: 404 });
    expect(await call(base, 'POST', '/nope', { a: 1 })).toMatchObject({ status: 404, body: { error: 'NotFound', message: 'no route POST /nope' } });
    expect(await call(base, 'DELETE', '/engines/vpin')).toMatchObject({ status: 404 });
  });

  it('GET /snapshot is this host: engines, tree, caches, kernels, bus (null without one)', async () => {
    const { status, body } = await call(base, 'GET', '/snapshot');
    expect(status).toBe(200);
    expect(Object.keys(body)).toEqual(['ts', 'hosts']);
    expect(body.hosts).toHaveLength(1);
    const host = body.hosts[0];
    expect(Object.keys(host)).toEqual(['host', 'ts', 'engines', 'tree', 'caches', 'kernels', 'bus']);
    expect(host).toMatchObject({ host: 'gw', bus: null });
    expect(host.engines.map((e: any) => e.name)).toEqual(['vpin', 'tally', 'slow', 'flap']);
    expect(host.tree).toEqual((await call(base, 'GET', '/tree')).body.tree);
    expect(host.caches.default).toMatchObject({ hits: 1, misses: 1, hitRate: 0.5, entries: 1, evictions: 0 });
    expect(host.kernels.threads).toBe(1);
    expect(host.kernels.kernels.matmul).toMatchObject({ calls: 1, errors: 0, backends: { js: { calls: 1, errors: 0, bytesCopied: expect.any(Number), runMs: { p50: expect.any(Number), p99: expect.any(Number), p999: expect.any(Number), max: expect.any(Number) } } } });
    expect(host.kernels.kernels.matmul.backends.js.runMs.p99).toBeGreaterThan(0);
    expect(await call(base, 'GET', '/dead-letters')).toMatchObject({ status: 200, body: { deadLetters: [] } });
  });
});
