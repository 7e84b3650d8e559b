import { describe, expect, it } from 'vitest';
import { InvalidOption, KernelAborted, KernelArgumentError, KernelQueueFull, KernelThreadDied, KernelTimeout, UnknownKernel, sharedArray, type System } from 'dualbus';
import { fixture, systemPerTest } from './helpers.js';

const kernel = (name: string): URL => fixture(`kernels/${name}`);
const start = systemPerTest();

async function kernelSystem(kernels: Record<string, unknown> = {}): Promise<System> {
  const { system } = await start({ kernels: { calibrationFile: false, modules: [kernel('touch'), kernel('sleep'), kernel('fails'), kernel('empty')], ...kernels } });
  return system;
}

function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: Error) => err,
  );
}

describe('the kernel pool: zero copy', () => {
  it('a 100 MB input on a SharedArrayBuffer reaches the pool thread by reference, not copied', async () => {
    const system = await kernelSystem();
    const data = sharedArray(Float64Array, 12_500_000); // 100 MB
    data.fill(1);
    const r = await system.kernels.run<{ sum: number; length: number }>('test.touch', { data, mark: 42 }, { backend: 'js' });
    // The pool thread wrote into the very memory the caller holds.
    expect(data[0]).toBe(42);
    expect(data[data.length - 1]).toBe(42);
    expect(r.length).toBe(12_500_000);
    expect(r.sum).toBe(42 + (Math.ceil(12_500_000 / 4096) - 1));
    expect(system.stats().kernels.kernels['test.touch']!.js!.bytesCopied).toBe(0);
  });

  it('an array not on a SharedArrayBuffer is copied, and the copy is counted', async () => {
    const system = await kernelSystem();
    const data = new Float64Array(1000);
    await system.kernels.run('test.touch', { data, mark: 42 }, { backend: 'js' });
    expect(data[0]).toBe(0); // the pool wrote into its own copy
    expect(system.stats().kernels.kernels['test.touch']!.js!.bytesCopied).toBe(8000);
  });

  it('results are written into the shared array the caller gave, and read there in place', async () => {
    const system = await kernelSystem();
    const a = sharedArray(Float64Array, 6);
    const b = sharedArray(Float64Array, 6);
    a.set([1, 2, 3, 4, 5, 6]); // 2 x 3
    b.set([7, 8, 9, 10, 11, 12]); // 3 x 2
    const out = sharedArray(Float64Array, 4);
    await system.kernels.run('matmul', { a, b, m: 2, k: 3, n: 2 }, { backend: 'js', out: { out } });
    expect([...out]).toEqual([58, 64, 139, 154]);
    expect(system.stats().kernels.kernels['matmul']!.js!.bytesCopied).toBe(0);
  });

  it('results the pool allocates are on SharedArrayBuffers (nothing cloned on the way back)', async () => {
    const system = await kernelSystem();
    const a = sharedArray(Float64Array, 4).fill(1);
    const r = await system.kernels.run<{ out: Float64Array }>('matmul', { a, b: a, m: 2, k: 2, n: 2 }, { backend: 'js' });
    expect(r.out.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect([...r.out]).toEqual([2, 2, 2, 2]);
  });
});

describe('the kernel pool: failures', () => {
  it('a call beyond maxQueue is refused with KernelQueueFull; the queued ones finish', async () => {
    const system = await kernelSystem({ threads: 1, minThreads: 1, maxQueue: 2 });
    await system.kernels.run('test.empty', {}, { backend: 'js' }); // the thread is up
    const running = system.kernels.run('test.sleep', { ms: 300, busy: true }, { backend: 'js' });
    await new Promise((r) => setTimeout(r, 50)); // taken by the thread: the queue is empty again
    const queued = [system.kernels.run('test.sleep', { ms: 1, value: 1 }, { backend: 'js' }), system.kernels.run('test.sleep', { ms: 1, value: 2 }, { backend: 'js' })];
    const err = await rejection(system.kernels.run('test.sleep', { ms: 1, value: 3 }, { backend: 'js' }));
    expect(err).toBeInstanceOf(KernelQueueFull);
    expect(err.message).toMatch(/queue is full \(maxQueue 2\)/);
    await running;
    expect((await Promise.all(queued)).map((r: any) => r.value)).toEqual([1, 2]);
  });

  it('a call past its timeoutMs rejects with KernelTimeout, and the pool goes on', async () => {
    const system = await kernelSystem({ threads: 1 });
    const t0 = performance.now();
    const err = await rejection(system.kernels.run('test.sleep', { ms: 3000, busy: true }, { backend: 'js', timeoutMs: 100 }));
    expect(err).toBeInstanceOf(KernelTimeout);
    expect(err.message).toBe("kernel 'test.sleep' did not finish within 100 ms");
    expect(performance.now() - t0).toBeLessThan(2000); // the busy thread was stopped, not waited for
    expect(await system.kernels.run('test.sleep', { ms: 1, value: 'after' }, { backend: 'js' })).toMatchObject({ value: 'after' });
    expect(system.stats().kernels.kernels['test.sleep']!.js!.errors).toBe(1);
  });

  it('an AbortSignal rejects the call with an AbortError (before it starts, and while it runs)', async () => {
    const system = await kernelSystem({ threads: 1 });
    const early = await rejection(system.kernels.run('test.empty', {}, { signal: AbortSignal.abort('not needed') }));
    expect(early).toBeInstanceOf(KernelAborted);
    expect(early.name).toBe('AbortError');
    const abort = new AbortController();
    const running = system.kernels.run('test.sleep', { ms: 3000, busy: true }, { backend: 'js', signal: abort.signal });
    setTimeout(() => abort.abort(new Error('desk closed')), 100);
    const err = await rejection(running);
    expect(err.name).toBe('AbortError');
    expect(err.message).toBe("kernel 'test.sleep' was aborted: desk closed");
    expect(await system.kernels.run('test.sleep', { ms: 1, value: 'after' }, { backend: 'js' })).toMatchObject({ value: 'after' });
  });

  it('a kernel that throws rejects with its own error (name, message, stack)', async () => {
    const system = await kernelSystem();
    const err = await rejection(system.kernels.run('test.fails', { how: 'throw' }));
    expect(err.name).toBe('VolSurfaceError');
    expect(err.message).toBe('vol surface has an arbitrage at strike 105');
    expect(err.stack).toContain('fails.js');
  });

  it.each(['exit', 'uncaught'] as const)('a pool thread that dies (%s) rejects its call with KernelThreadDied and is replaced', async (how) => {
    const system = await kernelSystem({ threads: 1 });
    const err = await rejection(system.kernels.run('test.fails', { how }));
    expect(err).toBeInstanceOf(KernelThreadDied);
    expect(err.message).toMatch(/^kernel 'test.fails': its pool thread died \(.+\); the thread was replaced/);
    const a = sharedArray(Float64Array, 1).fill(3);
    expect([...(await system.kernels.run('matmul', { a, b: a, m: 1, k: 1, n: 1 }, { backend: 'js' })).out]).toEqual([9]);
  });

  it('an unknown kernel is refused naming it and the registered ones', async () => {
    const system = await kernelSystem();
    const err = await rejection(system.kernels.run('var.historic', {}));
    expect(err).toBeInstanceOf(UnknownKernel);
    expect(err.message).toMatch(/^no kernel named 'var.historic'; registered: .*var\.historical/);
  });

  it('a wrong argument names the argument, what was expected and what was given', async () => {
    const system = await kernelSystem();
    const a = sharedArray(Float64Array, 5);
    const err = await rejection(system.kernels.run('matmul', { a, b: sharedArray(Float64Array, 6), m: 2, k: 3, n: 2 }, { backend: 'js' }));
    expect(err.name).toBe('KernelArgumentError');
    expect((err as KernelArgumentError).argument).toBe('a');
    expect(err.message).toMatch(/^kernel 'matmul': argument 'a' must be .*6.*; got Float64Array of length 5 \(shared\)$/);
    const out = await rejection(system.kernels.run('matmul', { a: sharedArray(Float64Array, 6), b: sharedArray(Float64Array, 6), m: 2, k: 3, n: 2 }, { backend: 'js', out: { out: sharedArray(Float64Array, 3) } }));
    expect(out.message).toBe("kernel 'matmul': argument 'out.out' must be a Float64Array of at least 4 elements; got Float64Array of length 3 (shared)");
  });
});

describe('the kernel pool: registry, options, stats', () => {
  it('lists the built-in kernels and the user modules, each with the backends that can run it', async () => {
    const system = await kernelSystem();
    const list = system.kernels.list();
    const names = list.map((k) => k.name);
    for (const k of ['vpin', 'vpin.incremental', 'var.historical', 'var.parametric', 'var.montecarlo', 'factors', 'matmul', 'mlp', 'test.touch']) expect(names).toContain(k);
    expect(list.find((k) => k.name === 'test.touch')).toMatchObject({ backends: ['js'], module: kernel('touch').href });
    expect(list.find((k) => k.name === 'matmul')!.backends).toEqual((await system.kernels.backends()).native.available ? ['js', 'native'] : ['js']);
  });

  it('register adds a module later; a second kernel of the same name, or a module that is not a kernel, is refused', async () => {
    const { system } = await start({ kernels: { calibrationFile: false } });
    expect(await system.kernels.register(kernel('empty'))).toBe('test.empty');
    expect(await system.kernels.run('test.empty', {}, { backend: 'js' })).toBe(0);
    await expect(system.kernels.register(fixture('echo'))).rejects.toThrow(/must export default defineKernel/);
  });

  it('bad kernel options are refused naming the option', async () => {
    await expect(start({ kernels: { threads: 0 } })).rejects.toThrow(InvalidOption);
    await expect(start({ kernels: { threads: 0 } })).rejects.toThrow("option 'kernels.threads' must be an integer >= 1; got 0");
    await expect(start({ kernels: { backends: ['native'] } as never })).rejects.toThrow(/kernels.backends/);
    await expect(start({ kernels: { thread: 2 } as never })).rejects.toThrow(/kernels.thread/);
  });

  it('stats count calls, errors and time per kernel and backend; auto says which backend ran', async () => {
    const system = await kernelSystem({ auto: { matmul: 'js' } });
    const a = sharedArray(Float64Array, 64 * 64).fill(0.5);
    for (let i = 0; i < 3; i++) await system.kernels.run('matmul', { a, b: a, m: 64, k: 64, n: 64 });
    await rejection(system.kernels.run('matmul', { a, b: a, m: 64, k: 64, n: 65 }));
    const s = system.stats().kernels.kernels['matmul']!.js!;
    expect(s.calls).toBe(4);
    expect(s.errors).toBe(1);
    expect(s.runUs.samples).toBe(3);
    expect(s.runUs.p50).toBeGreaterThan(0);
    expect(s.queueUs.samples).toBe(3);
    expect(system.stats().kernels.kernels['matmul']!.native).toBeUndefined(); // pinned to js by kernels.auto
  });
});
