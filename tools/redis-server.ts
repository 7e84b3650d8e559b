// Real redis-server processes, on free ports, in temporary directories (tests, benchmarks, the
// multi-host demo); never the one that may already run on 6379.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ port, host: '127.0.0.1' });
    let data = '';
    c.setTimeout(500, () => c.destroy());
    c.on('data', (d) => {
      data += d.toString();
      if (data.includes('\r\n')) {
        c.end();
        resolve(data.startsWith('+PONG') || data.startsWith('-NOAUTH')); // up, and asking for a password
      }
    });
    c.on('error', () => resolve(false));
    c.on('close', () => resolve(data.startsWith('+PONG') || data.startsWith('-NOAUTH')));
    c.on('connect', () => c.write('PING\r\n'));
  });
}

export class RedisServer {
  private proc: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly fsync: 'always' | 'everysec' | undefined,
    readonly password: string | undefined,
  ) {}

  /**
   * durable: an append-only file, fsynced on every write ('always': a SIGKILL loses nothing Redis
   * acknowledged) or once a second ('everysec', Redis's usual setting: up to a second lost).
   */
  static async start(options: { durable?: boolean; fsync?: 'always' | 'everysec'; password?: string } = {}): Promise<RedisServer> {
    const fsync = options.durable === true ? (options.fsync ?? 'always') : undefined;
    const server = new RedisServer(await freePort(), mkdtempSync(join(tmpdir(), 'dualbus-redis-')), fsync, options.password);
    await server.launch();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** The redis-server process id while it runs (for CPU accounting in the benchmarks). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Starts it again on the same port and data directory (after kill). */
  async launch(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--daemonize', 'no', '--protected-mode', 'no'];
    args.push(...(this.fsync !== undefined ? ['--appendonly', 'yes', '--appendfsync', this.fsync] : ['--appendonly', 'no']));
    if (this.password !== undefined) args.push('--requirepass', this.password);
    const proc = spawn('redis-server', args, { stdio: 'ignore' });
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    const until = Date.now() + 10_000;
    while (!(await ping(this.port))) {
      if (Date.now() > until) throw new Error(`redis-server on port ${this.port} did not answer PING within 10 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** SIGKILL: no shutdown, no final save. */
  async kill(): Promise<void> {
    this.proc?.kill('SIGKILL');
    await this.exited;
    this.proc = undefined;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
