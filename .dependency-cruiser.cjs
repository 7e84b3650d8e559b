// The import rules of DESIGN.md ("Rules of the house"), checked by `npm test` (npm run lint:imports).
// Type-only imports count too: the host side must not even know the worker side's types.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'host-side-not-worker-side',
      comment: 'runtime/ (the host process) never imports actors/ (what runs in a worker): shared types live in transport/',
      severity: 'error',
      from: { path: '(^|/)src/runtime/' },
      to: { path: '(^|/)src/actors/' },
    },
    {
      name: 'worker-side-not-host-side',
      comment: 'actors/ (what runs in a worker) never imports runtime/ (the host process)',
      severity: 'error',
      from: { path: '(^|/)src/actors/' },
      to: { path: '(^|/)src/runtime/' },
    },
    {
      name: 'policy-not-mechanism',
      comment: 'supervisors/ (policy: XState machines) never imports src/ (mechanism); the runtime imports supervisors/',
      severity: 'error',
      from: { path: '(^|/)supervisors/' },
      to: { path: '(^|/)src/' },
    },
    {
      name: 'transport-imports-nothing-of-ours',
      comment: 'transport/ (how bytes move) imports only itself and libraries',
      severity: 'error',
      from: { path: '(^|/)src/transport/' },
      to: { path: '(^|/)(src/(?!transport/)|supervisors/)' },
    },
    {
      name: 'kernels-stand-alone',
      comment: 'kernels/ (the pool, its threads and the kernels) is used by both sides and imports neither runtime/ nor actors/',
      severity: 'error',
      from: { path: '(^|/)src/kernels/' },
      to: { path: '(^|/)src/(runtime|actors)/' },
    },
    {
      name: 'cache-stands-alone',
      comment: 'cache/ (shared memory both sides map) imports neither runtime/ nor actors/',
      severity: 'error',
      from: { path: '(^|/)src/cache/' },
      to: { path: '(^|/)src/(runtime|actors)/' },
    },
    {
      name: 'worker-entries-by-url',
      comment: 'a worker entry (worker-main, bridge-main) is started by URL, never imported: importing it would run it',
      severity: 'error',
      from: {},
      to: { path: '(^|/)src/(actors/worker-main|transport/redis/bridge-main|kernels/pool-worker)\\.ts$' },
    },
    {
      name: 'nothing-imports-the-package-root',
      comment: 'src/index.ts only re-exports the public API; modules inside the package import what they use directly',
      severity: 'error',
      from: { path: '(^|/)(src|supervisors)/', pathNot: '(^|/)src/index\\.ts$' },
      to: { path: '(^|/)src/index\\.ts$' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'every import resolves to a file or an installed package',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.d.ts'] },
  },
};
