// Direct lanes: an actor's kernel calls go straight to a pool thread, not through the host.
import { describe, expect, it } from 'vitest';
import type { ActorRef } from '../src/index.js';
import { MessageChannel } from 'node:worker_threads';
import { Lane } from '../src/actors/kernel-lanes.js';
import { LANE_STARTED } from '../src/kernels/lanes/protocol.js';
import { fixture, systemPerTest } from './helpers.js';

const start = systemPerTest();
const kernelModules = ['sleep', 'fails', 'touch'].map((k) => fixture(`kernels/${k}`));
const MATMUL = { a: [1, 2, 3, 4, 5, 6], b: [7, 8, 9, 10, 11, 12], m: 2, k: 3, n: 2 };
const PRODUCT = [58, 64, 139, 154]; // worked by hand: [1 2 3; 4 5 6] x [7 8; 9 10; 11 12]

type Outcome = { ok: boolean; result?: unknown; error?: Record<string, unknown> };
type Batch = { outcomes: Outcome[]; inputs: Record<string, unknown>[] };

async function engine(kernels: Record<string, unknown> = {}) {
  const { system } = await start({ kernels: { calibrationFile: false, modules: kernelModules, threads: 1, ...kernels } });
  const ref = await system.spawn('engine', fixture('kernel-user'));
  return { system, ref };
}

function directCalls(system: Awaited<ReturnType<typeof engine>>['system'], kernel = 'matmul'): number {
  return system.kernels.stats().kernels[kernel]?.js?.direct ?? 0;
}

function matmul(ref: ActorRef): Promise<Outcome> {
  return ref.ask({ type: 'run', kernel: 'matmul', input: MATMUL, options: { backend: 'js' } }) as Promise<Outcome>;
}

/** The first calls start the pool (through the host); then its threads offer their lanes. */
async function untilDirect(system: Awaited<ReturnType<typeof engine>>['system'], ref: ActorRef): Promise<void> {
  for (let i = 0; i < 200 && directCalls(system) === 0; i++) {
    await matmul(ref);
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(directCalls(system)).toBeGreaterThan(0);
  // The worker reports its lane calls in batches: wait until the last batch is in.
  let calls = -1;
  while (calls !== system.kernels.stats().kernels['matmul']!.js!.calls) {
    calls = system.kernels.stats().kernels['matmul']!.js!.calls;
    await new Promise((r) => setTimeout(r, 150));
  }
}

describe('direct lanes from actors to pool threads', () => {
  it("an actor's calls go straight to a pool thread once it has a lane, and are counted in the host's stats", async () => {
    const { system, ref } = await engine();
    await untilDirect(system, ref);
    const before = system.kernels.stats().kernels['matmul']!.js!;
    for (let i = 0; i < 5; i++) expect(await matmul(ref)).toEqual({ ok: true, result: { out: PRODUCT } });
    await expect.poll(() => system.kernels.stats().kernels['matmul']!.js!.calls, { timeout: 2000 }).toBe(before.calls + 5);
    const after = system.kernels.stats().kernels['matmul']!.js!;
    expect(after.direct - before.direct).toBe(5);
    expect(after.runUs.samples - before.runUs.samples).toBe(5);
    expect(after.bytesCopied).toBe(0);
  });

  it('with kernels.direct false every call goes through the host', async () => {
    const { system, ref } = await engine({ direct: false });
    for (let i = 0; i < 5; i++) expect(await matmul(ref)).toEqual({ ok: true, result: { out: PRODUCT } });
    expect(system.kernels.stats().kernels['matmul']!.js).toMatchObject({ calls: 5, direct: 0 });
  });

  it('a call given up on while queued on its lane is skipped: it never runs, and the call ahead of it is not disturbed', async () => {
    const { system, ref } = await engine();
    await untilDirect(system, ref);
    const r = (await ref.ask({
      type: 'batch',
      calls: [
        { kernel: 'test.sleep', input: { ms: 400, busy: true, value: 'ahead' } },
        { kernel: 'test.touch', input: { data: [0, 0, 0, 0], mark: 9 }, options: { abortAfterMs: 100 } },
      ],
      settleMs: 200,
    }, { timeoutMs: 5000 })) as Batch;
    expect(r.outcomes[0]).toMatchObject({ ok: true, result: { value: 'ahead' } });
    expect(r.outcomes[1]).toMatchObject({ ok: false, error: { name: 'AbortError' } });
    expect(r.inputs[1]).toEqual({ data: [0, 0, 0, 0], mark: 9 }); // touch writes 9 at both ends when it runs
  });

  it('a lane call that times out while it runs stops its thread; the calls queued behind it (the actor\'s and the host\'s) run on the replacement', async () => {
    const { system, ref } = await engine();
    await untilDirect(system, ref);
    const t0 = performance.now();
    const batch = ref.ask({
      type: 'batch',
      calls: [
        { kernel: 'test.sleep', input: { ms: 3000, busy: true }, options: { timeoutMs: 150 } },
        { kernel: 'matmul', input: MATMUL, options: { backend: 'js' } },
        { kernel: 'matmul', input: MATMUL, options: { backend: 'js' } },
      ],
    }, { timeoutMs: 10_000 }) as Promise<Batch>;
    await new Promise((r) => setTimeout(r, 50));
    // piscina sees the thread idle (it does not see lane calls) and hands it this call too.
    const a = new Float64Array(new SharedArrayBuffer(48)).fill(0);
    a.set(MATMUL.a);
    const b = new Float64Array(new SharedArrayBuffer(48));
    b.set(MATMUL.b);
    const fromHost = system.kernels.run('matmul', { a, b, m: 2, k: 3, n: 2 }, { backend: 'js' });
    const r = await batch;
    expect(r.outcomes[0]).toMatchObject({ ok: false, error: { code: 'KernelTimeout' } });
    expect(r.outcomes[1]).toEqual({ ok: true, result: { out: PRODUCT } });
    expect(r.outcomes[2]).toEqual({ ok: true, result: { out: PRODUCT } });
    expect(Array.from((await fromHost).out as Float64Array)).toEqual(PRODUCT);
    expect(performance.now() - t0).toBeLessThan(2500); // the 3 s kernel was stopped, not waited for
  });

  it('a pool thread that dies under a lane call fails that call with KernelThreadDied; the calls queued behind it run elsewhere', async () => {
    const { system, ref } = await engine();
    await untilDirect(system, ref);
    const r = (await ref.ask({
      type: 'batch',
      calls: [
        { kernel: 'test.fails', input: { how: 'exit' } },
        { kernel: 'matmul', input: MATMUL, options: { backend: 'js' } },
        { kernel: 'matmul', input: MATMUL, options: { backend: 'js' } },
      ],
    }, { timeoutMs: 10_000 })) as Batch;
    expect(r.outcomes[0]).toMatchObject({ ok: false, error: { code: 'KernelThreadDied' } });
    expect(r.outcomes[1]).toEqual({ ok: true, result: { out: PRODUCT } });
    expect(r.outcomes[2]).toEqual({ ok: true, result: { out: PRODUCT } });
    expect(await matmul(ref)).toEqual({ ok: true, result: { out: PRODUCT } });
  });

  it('the queue limit is shared: a lane call beyond threads + maxQueue is refused with KernelQueueFull', async () => {
    const { system, ref } = await engine({ maxQueue: 1 });
    await untilDirect(system, ref);
    const r = (await ref.ask({
      type: 'batch',
      calls: [
        { kernel: 'test.sleep', input: { ms: 200, value: 1 } },
        { kernel: 'test.sleep', input: { ms: 10, value: 2 } },
        { kernel: 'test.touch', input: { data: [0, 0], mark: 3 } },
      ],
      settleMs: 100,
    }, { timeoutMs: 5000 })) as Batch;
    expect(r.outcomes[0]).toMatchObject({ ok: true, result: { value: 1 } });
    expect(r.outcomes[1]).toMatchObject({ ok: true, result: { value: 2 } });
    expect(r.outcomes[2]).toMatchObject({ ok: false, error: { code: 'KernelQueueFull' } });
    expect(r.inputs[2]).toEqual({ data: [0, 0], mark: 3 });
    expect(await matmul(ref)).toEqual({ ok: true, result: { out: PRODUCT } }); // every place was given back
  });

  it("an actor killed during a lane call: its next worker gets lanes, and the dead worker's place in the queue is given back", async () => {
    const { system, ref } = await engine({ maxQueue: 1 }); // two calls in the pool at a time
    await untilDirect(system, ref);
    const asked = ref.ask({ type: 'run', kernel: 'test.sleep', input: { ms: 300, value: 'var' } }, { timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 100));
    expect(system.kill('engine')).toBe(true);
    // Handled again by the next worker, while the dead worker's call still holds the other place.
    expect(await asked).toMatchObject({ ok: true, result: { value: 'var' } });
    const before = directCalls(system);
    for (let i = 0; i < 3; i++) expect(await matmul(ref)).toEqual({ ok: true, result: { out: PRODUCT } });
    await expect.poll(() => directCalls(system), { timeout: 2000 }).toBe(before + 3);
    // Both places are free again: two calls at once are both taken.
    const r = (await ref.ask({
      type: 'batch',
      calls: [
        { kernel: 'test.sleep', input: { ms: 100, value: 1 } },
        { kernel: 'test.sleep', input: { ms: 100, value: 2 } },
      ],
    }, { timeoutMs: 5000 })) as Batch;
    expect(r.outcomes).toMatchObject([{ ok: true, result: { value: 1 } }, { ok: true, result: { value: 2 } }]);
  });
});

describe('a lane', () => {
  it('tells begun calls by their place on the lane, not their id: a call sent again after its thread died comes after higher ids', () => {
    const { port1, port2 } = new MessageChannel();
    const words = new Int32Array(new SharedArrayBuffer(64));
    const lane = new Lane({ laneId: 1, port: port1, words, load: new Int32Array(new SharedArrayBuffer(4)) } as never);
    const call = (id: number) => ({ id, seq: 0, kernel: 'k', backend: 'js' as const, input: null, postedAt: 0 });
    const later = lane.post(call(10)); // a new call
    const resent = lane.post(call(5)); // an older call, sent again here after its first thread died
    Atomics.store(words, LANE_STARTED, later); // the thread began the first call on this lane...
    expect(lane.began(later)).toBe(true);
    expect(lane.began(resent)).toBe(false); // ...not the one queued behind it, whatever its id
    expect(lane.cancelQueued(5, resent)).toBe(true);
    port1.close();
    port2.close();
  });
});
