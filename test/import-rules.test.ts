import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const depcruise = fileURLToPath(new URL('../node_modules/dependency-cruiser/bin/dependency-cruise.mjs', import.meta.url));

/** The rule violations dependency-cruiser reports for `paths`, as "rule: from -> to". */
async function violations(...paths: string[]): Promise<string[]> {
  const run = promisify(execFile)(process.execPath, [depcruise, ...paths, '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], { cwd: root, maxBuffer: 1 << 26 });
  const { stdout } = await run.catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' })); // it exits non-zero when it finds any
  const report = JSON.parse(stdout) as { summary: { violations: Array<{ rule: { name: string }; from: string; to: string }> } };
  return report.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
}

describe('the import rules (DESIGN.md, checked by dependency-cruiser)', () => {
  it('the source tree keeps every rule', async () => {
    expect(await violations('src', 'supervisors')).toEqual([]);
  }, 60_000);

  it('each rule catches its break: host/worker both ways (types too), policy into mechanism, transport into the rest, the package root, worker entries, unresolvable', async () => {
    const base = 'test/import-rules';
    expect(await violations(base)).toEqual([
      `host-side-not-worker-side: ${base}/src/runtime/host.ts -> ${base}/src/actors/types.ts`,
      `not-to-unresolvable: ${base}/supervisors/machine.ts -> ./missing.js`,
      `nothing-imports-the-package-root: ${base}/src/transport/bytes.ts -> ${base}/src/index.ts`,
      `policy-not-mechanism: ${base}/supervisors/machine.ts -> ${base}/src/transport/bytes.ts`,
      `transport-imports-nothing-of-ours: ${base}/src/transport/bytes.ts -> ${base}/src/index.ts`,
      `transport-imports-nothing-of-ours: ${base}/src/transport/bytes.ts -> ${base}/src/runtime/host.ts`,
      `worker-entries-by-url: ${base}/src/cli/start.ts -> ${base}/src/actors/worker-main.ts`,
      `worker-side-not-host-side: ${base}/src/actors/loop.ts -> ${base}/src/runtime/host.ts`,
    ]);
  }, 60_000);
});
