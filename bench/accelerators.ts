// `npm run bench:accelerators`: each kernel x size x backend (js, native, webgpu, mlx, onnx where
// they run here), run in this thread on the backends' own cores, with the accelerators' time split
// into moving data (upload, download, f64 <-> f32) and running on the device; the size at which
// each accelerator first beats native; what `backend: 'auto'` picks in a pool; and the CPU an idle
// Dawn device costs. `-- --full` adds the GPU-sized runs (VaR Monte Carlo 1 M scenarios x 500
// assets, matmul 2048 and 4096). Writes bench/results/accelerators.json.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { createSystem } from 'dualbus';
import { configureAccelerators, openAccelerator, openBackend } from '../src/kernels/backends/registry.js';
import { openedGpu } from '../src/kernels/backends/webgpu/backend.js';
import { BUILTIN_KERNELS } from '../src/kernels/builtin/index.js';
import { resolveKernelOptions } from '../src/kernels/options.js';
import { execute } from '../src/kernels/thread-kernels.js';
import type { AcceleratorName, BackendName } from '../src/kernels/define.js';
import { round } from '../src/transport/ring/histogram.js';
import { ownCpuMs } from './cpu.js';
import { randomShared } from './shared.js';

const full = process.argv.includes('--full');
const defs = new Map(BUILTIN_KERNELS.map((k) => [k.name, k]));
const options = resolveKernelOptions({ accelerators: { webgpu: { idleMs: 0 } } }).accelerators;
configureAccelerators(options);

interface Case {
  kernel: string;
  size: string;
  input: unknown;
  /** Too slow for the plain JS loops at this size. */
  skipJs?: boolean;
}

function varInput(t: number, n: number, paths?: number): unknown {
  return { returns: randomShared(t * n, 0.02, 3), t, n, weights: randomShared(n, 1, 4), confidence: [0.99], ...(paths === undefined ? {} : { paths, seed: 1 }) };
}

function mlpInput(rows: number): unknown {
  const layer = (inputs: number, outputs: number, seed: number, activation: string) => ({ w: randomShared(inputs * outputs, 0.3, seed), b: randomShared(outputs, 0.1, seed + 1), activation });
  return { x: randomShared(rows * 32, 1, 9), rows, layers: [layer(32, 64, 10, 'relu'), layer(64, 64, 12, 'relu'), layer(64, 1, 14, 'sigmoid')] };
}

const CASES: Case[] = [
  ...[128, 256, 512, 1024, ...(full ? [2048, 4096] : [])].map((s) => ({ kernel: 'matmul', size: `${s}x${s}`, input: { a: randomShared(s * s, 1, 1), b: randomShared(s * s, 1, 2), m: s, k: s, n: s }, skipJs: s > 1024 })),
  ...[1_000, 10_000, 100_000].map((rows) => ({ kernel: 'mlp', size: `${rows} rows 32-64-64-1`, input: mlpInput(rows) })),
  ...[[10_000, 10], [100_000, 50], ...(full ? [[1_000_000, 100]] : [])].map(([t, n]) => ({ kernel: 'var.historical', size: `${t!} x ${n!}`, input: varInput(t!, n!) })),
  ...[[10_000, 50], [100_000, 100], ...(full ? [[1_000_000, 500]] : [])].map(([paths, n]) => ({ kernel: 'var.montecarlo', size: `${paths!} paths x ${n!} assets`, input: varInput(2 * n!, n!, paths), skipJs: paths! > 100_000 })),
  ...[[1_000, 20], [5_000, 50]].map(([t, n]) => ({ kernel: 'factors', size: `${t!} x ${n!}`, input: { x: randomShared(t! * n!, 0.02, 5), t, n, windows: [5, 20, 60] } })),
];

const ACCELERATORS: AcceleratorName[] = ['webgpu', 'mlx', 'onnx'];
const devices: Record<string, unknown> = {};
const available: BackendName[] = ['js'];
if ((await openBackend('native')).ok) available.push('native');
for (const name of ACCELERATORS) {
  const load = await openAccelerator(name);
  devices[name] = load.ok ? { available: true, device: load.device } : { available: false, reason: load.reason };
  if (load.ok) available.push(name);
}
const gpu = openedGpu();
if (gpu !== undefined) gpu.profiling = true; // fences between upload, compute and download: the split costs a little
console.log('backends here:', JSON.stringify(devices, null, 1));

interface Row {
  kernel: string;
  size: string;
  backend: BackendName;
  p50Ms: number;
  minMs: number;
  uploadMs?: number;
  computeMs?: number;
  downloadMs?: number;
  vsNative?: number;
}

async function timeCase(c: Case, backend: BackendName): Promise<Row | undefined> {
  const def = defs.get(c.kernel)!;
  if (def[backend] === undefined) return undefined;
  const profileOf = async () => (ACCELERATORS.includes(backend as AcceleratorName) ? await openAccelerator(backend as AcceleratorName) : undefined);
  const load = await profileOf();
  const runs: Array<{ ms: number; upload: number; compute: number; download: number }> = [];
  const deadline = performance.now() + 4000;
  for (let i = 0; i < 7 && (i < 2 || performance.now() < deadline); i++) {
    if (load?.ok) load.profile(); // counts afresh
    const t0 = performance.now();
    const outcome = await execute(def, backend, c.input, undefined);
    const ms = performance.now() - t0;
    if (!outcome.ok) throw new Error(`${c.kernel} ${c.size} on ${backend}: ${outcome.error.message}`);
    const p = load?.ok ? load.profile() : undefined;
    if (i > 0) runs.push({ ms, upload: p?.uploadMs ?? 0, compute: p?.computeMs ?? 0, download: p?.downloadMs ?? 0 }); // the first warms up (shaders compile, sessions build)
  }
  runs.sort((a, b) => a.ms - b.ms);
  const mid = runs[Math.floor(runs.length / 2)]!;
  const row: Row = { kernel: c.kernel, size: c.size, backend, p50Ms: round(mid.ms, 3), minMs: round(runs[0]!.ms, 3) };
  if (load?.ok) Object.assign(row, { uploadMs: round(mid.upload, 3), computeMs: round(mid.compute, 3), downloadMs: round(mid.download, 3) });
  return row;
}

const rows: Row[] = [];
const refused: Array<{ kernel: string; size: string; backend: BackendName; error: string }> = [];
for (const c of CASES) {
  const caseRows: Row[] = [];
  for (const backend of available) {
    if (backend === 'js' && c.skipJs) continue;
    try {
      const row = await timeCase(c, backend);
      if (row !== undefined) caseRows.push(row);
    } catch (err) {
      // A backend that refuses a size (a device's buffer limit) is a figure too, not the end of the run.
      console.log(`${c.kernel.padEnd(15)} ${c.size.padEnd(26)} ${backend.padEnd(7)} refused: ${(err as Error).message}`);
      refused.push({ kernel: c.kernel, size: c.size, backend, error: (err as Error).message });
    }
  }
  const native = caseRows.find((r) => r.backend === 'native');
  for (const r of caseRows) if (native !== undefined) r.vsNative = round(native.p50Ms / r.p50Ms, 2);
  rows.push(...caseRows);
  for (const r of caseRows) console.log(`${r.kernel.padEnd(15)} ${r.size.padEnd(26)} ${r.backend.padEnd(7)} ${String(r.p50Ms).padStart(10)} ms  x${r.vsNative ?? '-'} native${r.uploadMs !== undefined ? `  (up ${r.uploadMs}, run ${r.computeMs}, down ${r.downloadMs})` : ''}`);
}

/** Per kernel and accelerator: the first size (in the order run) at which it beat native, if any. */
const crossovers: Record<string, Record<string, string>> = {};
for (const kernel of new Set(CASES.map((c) => c.kernel))) {
  for (const backend of available.filter((b) => ACCELERATORS.includes(b as AcceleratorName))) {
    const mine = rows.filter((r) => r.kernel === kernel && r.backend === backend);
    if (mine.length === 0) continue;
    const first = mine.find((r) => (r.vsNative ?? 0) > 1);
    (crossovers[kernel] ??= {})[backend] = first === undefined ? `not within the sizes run (best x${Math.max(...mine.map((r) => r.vsNative ?? 0))} native)` : `${first.size} (x${first.vsNative} native)`;
  }
}
console.log('\ncrossovers:', JSON.stringify(crossovers, null, 1));

// What `auto` picks in a pool (calibrated here, not read from a cache file).
const system = await createSystem({ logger: undefined, kernels: { threads: 1, calibrationFile: false, accelerators: { webgpu: { idleMs: 0 } } } });
const autoPicks: Array<{ kernel: string; size: string; picked: string }> = [];
for (const c of CASES.filter((x) => !x.skipJs)) {
  const before = system.stats().kernels.kernels[c.kernel] ?? {};
  const calls = (s: typeof before, b: string) => s[b]?.calls ?? 0;
  await system.kernels.run(c.kernel, c.input);
  const after = system.stats().kernels.kernels[c.kernel] ?? {};
  const picked = Object.keys(after).find((b) => calls(after, b) > calls(before, b)) ?? '?';
  autoPicks.push({ kernel: c.kernel, size: c.size, picked });
}
const poolBackends = await system.kernels.backends();
await system.shutdown();
console.log('auto picks:', autoPicks.map((p) => `${p.kernel} ${p.size}: ${p.picked}`).join('; '));

// Dawn's idle cost (node-webgpu issue 17 reports a busy-polled core after requestDevice on Linux).
let idleCpu: Record<string, number> | undefined;
if (gpu !== undefined) {
  const idle = async (): Promise<number> => {
    const c0 = ownCpuMs();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 2000));
    return round((ownCpuMs() - c0) / ((performance.now() - t0) / 1000), 2);
  };
  const withDevice = await idle();
  gpu.close();
  const destroyed = await idle();
  idleCpu = { cpuMsPerSecondWithDeviceHeld: withDevice, cpuMsPerSecondAfterDestroy: destroyed };
  console.log('idle process CPU, ms per s:', JSON.stringify(idleCpu));
}

writeFileSync(
  new URL('../../bench/results/accelerators.json', import.meta.url),
  JSON.stringify({ date: new Date().toISOString(), machine: `${os.cpus()[0]?.model ?? '?'} x${os.cpus().length}, ${process.arch}, ${process.version}`, full, devices, poolBackends, rows, refused, crossovers, autoPicks, idleCpu }, null, 2) + '\n',
);
console.log('\nwrote bench/results/accelerators.json');
