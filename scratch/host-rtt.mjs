import { createSystem } from './../dist/src/index.js';
const system = await createSystem({ name: 'x', logger: undefined, kernels: { threads: 1, minThreads: 1, calibrationFile: false, modules: [new URL('../dist/bench/kernels/empty.js', import.meta.url)] } });
for (const withSignal of [false, true, false]) {
  const ms = [];
  for (let i = 0; i < 2300; i++) {
    const t0 = performance.now();
    await system.kernels.run('bench.empty', undefined, withSignal ? { backend: 'js', signal: new AbortController().signal } : { backend: 'js' });
    if (i >= 300) ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  console.log('signal', withSignal, 'p50 us', (ms[1000] * 1000).toFixed(1));
}
// paced: one call every 1 ms (the host event loop goes idle between calls)
const ms = [];
for (let i = 0; i < 500; i++) {
  await new Promise((r) => setTimeout(r, 1));
  const t0 = performance.now();
  await system.kernels.run('bench.empty', undefined, { backend: 'js' });
  ms.push(performance.now() - t0);
}
ms.sort((a, b) => a - b);
console.log('paced p50 us', (ms[250] * 1000).toFixed(1));
await system.shutdown();
