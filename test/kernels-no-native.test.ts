import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

// A host process of its own whose native addon is missing (DUALBUS_NATIVE_ADDON points at a file
// that is not there, as after a failed build or `rm -r native/build`): what a user then gets.
const SCRIPT = `
import { createSystem, sharedArray } from 'dualbus';
const system = await createSystem({ logger: undefined, kernels: { calibrationFile: false, backends: ['js', 'native'] } });
const a = sharedArray(Float64Array, 4); a.set([1, 2, 3, 4]);
const out = {};
out.backends = await system.kernels.backends();
out.matmulBackends = system.kernels.list().find((k) => k.name === 'matmul').backends;
out.auto = [...(await system.kernels.run('matmul', { a, b: a, m: 2, k: 2, n: 2 })).out];
out.ran = Object.keys(system.stats().kernels.kernels.matmul);
out.native = await system.kernels.run('matmul', { a, b: a, m: 2, k: 2, n: 2 }, { backend: 'native' }).then(() => 'ran', (e) => ({ code: e.code, message: e.message }));
await system.shutdown();
console.log(JSON.stringify(out));
`;

describe('the package without its native build', () => {
  it('installs and runs: native reports itself unavailable with the reason, js serves every kernel', async () => {
    const missing = '/nonexistent/dualbus_native.node';
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', SCRIPT], {
      env: { ...process.env, DUALBUS_NATIVE_ADDON: missing, DUALBUS_LOG_LEVEL: 'warn' },
      cwd: new URL('..', import.meta.url).pathname,
    });
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(out.backends.js).toEqual({ available: true });
    expect(out.backends.native.available).toBe(false);
    expect(out.backends.native.reason).toContain(missing);
    expect(out.matmulBackends).toEqual(['js']);
    expect(out.auto).toEqual([7, 10, 15, 22]);
    expect(out.ran).toEqual(['js']);
    expect(out.native.code).toBe('BackendUnavailable');
    expect(out.native.message).toContain("kernel 'matmul' cannot run on backend 'native'");
    expect(out.native.message).toContain(missing);
  });
});
