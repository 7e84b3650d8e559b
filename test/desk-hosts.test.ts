// `npm run demo:hosts`: the desk split over two host processes on two real Redis servers, and
// host-a's gateway showing both hosts.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { freePort } from '../tools/free-port.js';
import { HOSTS } from '../examples/desk/hosts-split.js';

const HOSTS_MAIN = new URL('../dist/examples/desk/hosts.js', import.meta.url).pathname;

describe('the desk on two hosts (npm run demo:hosts)', () => {
  it("splits the 13 engines over two hosts on the dual bus; host-a's dashboard snapshot shows both, every engine running; asks cross", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [HOSTS_MAIN, '--seconds', '6', '--port', String(port)], { env: { ...process.env, DUALBUS_LOG_LEVEL: 'warn' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      let hosts: Array<{ host: string; engines: Array<{ name: string; state: string }> }> = [];
      for (let tries = 0; tries < 200 && hosts.length < 2; tries++) {
        await new Promise((r) => setTimeout(r, 100));
        try {
          hosts = ((await (await fetch(`http://127.0.0.1:${port}/snapshot`)).json()) as { hosts: typeof hosts }).hosts;
        } catch {
          // not listening yet
        }
      }
      expect(hosts.map((h) => h.host)).toEqual(['host-a', 'host-b']);
      for (const h of hosts) {
        expect(h.engines.map((e) => e.name).sort()).toEqual([...HOSTS[h.host]!].sort());
        for (const e of h.engines) expect(e.state, `${h.host} ${e.name}`).toBe('running');
      }
      expect(await exited, out.slice(-3000)).toBe(0);
    } finally {
      child.kill('SIGINT');
    }
    expect(out).toMatch(/host-a: asked host-b's strategy and portfolio over the bus: \{"orders":\d+/);
    expect(out).toContain('both hosts done; Redis servers stopped');
    // Both hosts' engines handled messages every second.
    for (const host of ['host-a', 'host-b']) {
      const rates = [...out.matchAll(new RegExp(`${host} +\\d+s: engines handled ([\\d,]+)/s`, 'g'))].map((m) => Number(m[1]!.replace(/,/g, '')));
      expect(rates.length).toBeGreaterThanOrEqual(5);
      expect(Math.min(...rates.slice(1))).toBeGreaterThan(0);
    }
  }, 90_000);
});
