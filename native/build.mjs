// Builds the native cores (native/build/Release/dualbus_native.node) with node-gyp, against the
// headers of the running Node where they are installed (--nodedir), never downloading any.
// Run by the package's `install` script and by `npm run build:native`.
//
// It never fails the install: without a compiler, Python or headers the package still works on the
// JS cores. Either way it writes native/build/status.json: { ok: true } or { ok: false, reason }
// (reason: the build's last lines), which loadNativeCores() reports when the addon is missing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const nativeDir = dirname(fileURLToPath(import.meta.url));
const buildDir = join(nativeDir, 'build');
const addonPath = join(buildDir, 'Release', 'dualbus_native.node');
const require = createRequire(import.meta.url);

function writeStatus(status) {
  try {
    mkdirSync(buildDir, { recursive: true });
    writeFileSync(join(buildDir, 'status.json'), JSON.stringify({ ...status, node: process.version, at: new Date().toISOString() }, null, 2) + '\n');
  } catch (err) {
    console.warn(`dualbus native: could not write ${join(buildDir, 'status.json')}: ${err.message}`);
  }
}

function fail(reason) {
  writeStatus({ ok: false, reason });
  console.warn(`dualbus native: not built, the kernels run on the JS cores (native/build/status.json says why):\n${reason.split('\n').slice(-4).join('\n')}`);
  process.exit(0);
}

// The last lines that say something: the compiler's errors, not node-gyp's stack and banner.
const NOISE = /^gyp (info|http|verb|sill)|^gyp ERR! (stack\s|System |command |cwd |node -v |node-gyp -v |not ok)|^make: (Entering|Leaving) directory/;
function lastLines(text, count = 20) {
  return text.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '' && !NOISE.test(l)).slice(-count).join('\n');
}

// node-gyp: the one npm runs scripts with, a local one, or the one bundled with npm.
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {}
  if (process.env.npm_execpath) candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const nodeBin = dirname(process.execPath);
  candidates.push(join(nodeBin, '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(join(nodeBin, 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')); // Windows layout
  return candidates.find((c) => c.endsWith('.js') && existsSync(c));
}

// The headers of this Node: <prefix>/include/node when Node was installed with them.
function findNodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) && existsSync(join(prefix, 'include', 'node', 'common.gypi')) ? prefix : undefined;
}

try {
  require.resolve('node-addon-api');
} catch {
  fail('node-addon-api is not installed (run npm install)');
}
const nodeGyp = findNodeGyp();
if (!nodeGyp) fail('node-gyp was not found (neither npm_config_node_gyp, a local node-gyp, nor the one bundled with npm)');
const nodeDir = findNodeDir();
if (!nodeDir) fail(`no Node headers next to ${process.execPath} (expected <prefix>/include/node/node_api.h); set npm_config_nodedir to a Node source or headers directory`);

const args = [nodeGyp, 'rebuild', `--nodedir=${nodeDir}`, '--jobs=2'];
const started = Date.now();
const result = spawnSync(process.execPath, args, { cwd: nativeDir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 });
const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`;
if (result.error) fail(`node-gyp could not run: ${result.error.message}\n${lastLines(output)}`);
if (result.status !== 0) fail(`node-gyp rebuild exited with ${result.status ?? result.signal}:\n${lastLines(output)}`);
if (!existsSync(addonPath)) fail(`node-gyp rebuild succeeded but ${addonPath} is missing:\n${lastLines(output)}`);
try {
  const addon = require(addonPath);
  if (typeof addon.matmul !== 'function') throw new Error('the addon does not export matmul');
} catch (err) {
  fail(`the built addon does not load: ${err.message}`);
}
writeStatus({ ok: true });
console.log(`dualbus native: built ${addonPath} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
