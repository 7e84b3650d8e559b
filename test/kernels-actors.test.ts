import { describe, expect, it } from 'vitest';
import { fixture, systemPerTest } from './helpers.js';

const start = systemPerTest();
const kernelModules = ['sleep', 'fails', 'empty'].map((k) => fixture(`kernels/${k}`));

async function engine(wait: 'async' | 'block' = 'async') {
  const { system } = await start({ kernels: { calibrationFile: false, modules: kernelModules } });
  const ref = await system.spawn('engine', fixture('kernel-user'), { wait });
  return { system, ref };
}

describe('kernels from an actor', () => {
  it('ctx.kernels.run returns the kernel result (matmul against a hand-worked product)', async () => {
    const { ref } = await engine();
    const r = await ref.ask({ type: 'run', kernel: 'matmul', input: { a: [1, 2, 3, 4, 5, 6], b: [7, 8, 9, 10, 11, 12], m: 2, k: 3, n: 2 }, options: { backend: 'js' } });
    expect(r).toEqual({ ok: true, result: { out: [58, 64, 139, 154] } });
  });

  it('errors reach the actor with their code and argument: unknown kernel, bad argument, timeout, abort, a throwing kernel', async () => {
    const { ref } = await engine();
    const run = (kernel: string, input: unknown, options = {}) => ref.ask({ type: 'run', kernel, input, options }) as Promise<{ ok: boolean; error: Record<string, string> }>;
    expect((await run('nope', {})).error).toMatchObject({ code: 'UnknownKernel' });
    expect((await run('matmul', { a: [1, 2], b: [1, 2], m: 2, k: 2, n: 1 }, { backend: 'js' })).error).toMatchObject({ code: 'KernelArgumentError', argument: 'a' });
    expect((await run('test.sleep', { ms: 2000, busy: true }, { timeoutMs: 100 })).error).toMatchObject({ code: 'KernelTimeout' });
    expect((await run('test.sleep', { ms: 2000, busy: true }, { abortAfterMs: 100 })).error).toMatchObject({ name: 'AbortError', message: "kernel 'test.sleep' was aborted: the desk cancelled it" });
    expect((await run('test.fails', { how: 'throw' })).error).toMatchObject({ name: 'VolSurfaceError', message: 'vol surface has an arbitrage at strike 105' });
  });

  it('awaited inside receive, a kernel holds the mailbox: the pings sent meanwhile are handled after it', async () => {
    const { ref } = await engine();
    const run = ref.ask({ type: 'run', kernel: 'test.sleep', input: { ms: 300, value: 'var' } });
    await new Promise((r) => setTimeout(r, 50));
    const pings = [1, 2, 3].map((n) => ref.ask({ type: 'ping', n }));
    expect(await run).toMatchObject({ ok: true, result: { value: 'var' } });
    expect(await Promise.all(pings)).toEqual([1, 2, 3]);
    expect(await ref.ask({ type: 'log?' })).toEqual(['ping:1', 'ping:2', 'ping:3']);
  });

  it.each(['async', 'block'] as const)('pipeToSelf (%s wait): the actor handles other messages while the kernel runs, the result comes as its own message, and the ask is answered from there (deferReply)', async (wait) => {
    const { ref } = await engine(wait);
    const offload = ref.ask({ type: 'offload', id: 7, kernel: 'test.sleep', input: { ms: 400, value: 'var-7' } }, { timeoutMs: 5000 });
    const pingTimes: number[] = [];
    const t0 = performance.now();
    for (let n = 1; n <= 5; n++) {
      expect(await ref.ask({ type: 'ping', n })).toBe(n);
      pingTimes.push(performance.now() - t0);
    }
    expect(await offload).toMatchObject({ value: 'var-7' });
    // Every ping was answered before the kernel finished (it takes 400 ms).
    expect(Math.max(...pingTimes)).toBeLessThan(400);
    expect(await ref.ask({ type: 'log?' })).toEqual(['ping:1', 'ping:2', 'ping:3', 'ping:4', 'ping:5', 'done:7']);
  });

  it('a deferred ask answered with a failure rejects the asker with the kernel error', async () => {
    const { ref } = await engine();
    const err = await ref.ask({ type: 'offload', id: 1, kernel: 'test.fails', input: { how: 'throw' } }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'RemoteError' });
    expect((err as Error).message).toMatch(/VolSurfaceError: vol surface has an arbitrage at strike 105/);
  });

  it('an actor killed while it awaits a kernel: its next worker handles the message again and answers it', async () => {
    const { system, ref } = await engine();
    const asked = ref.ask({ type: 'run', kernel: 'test.sleep', input: { ms: 300, value: 'var' } }, { timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 100));
    expect(system.kill('engine')).toBe(true);
    expect(await asked).toMatchObject({ ok: true, result: { value: 'var' } });
    expect(system.stats().actors['engine']!.restarts).toBe(1);
  });
});
