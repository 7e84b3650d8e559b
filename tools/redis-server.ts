// Real redis-server processes, on free ports, in temporary directories (tests, benchmarks, the
// multi-host demo); never the one that may already run on 6379.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { freePort } from './free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';


/** The files of a TLS listener: its certificate and key, and the CA that signed it (PEM paths). */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
}

function ping(port: number, tls: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    // Readiness only: the certificate is checked by the clients under test, not here.
    const c: Socket = tls ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false }) : createConnection({ port, host: '127.0.0.1' });
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
    c.on(tls ? 'secureConnect' : 'connect', () => c.write('PING\r\n'));
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
    private readonly tls: TlsFiles | undefined,
    private readonly aclFile: string | undefined,
  ) {}

  /**
   * durable: an append-only file, fsynced on every write ('always': a SIGKILL loses nothing Redis
   * acknowledged) or once a second ('everysec', Redis's usual setting: up to a second lost).
   */
  /**
   * tls: only a TLS port (no plain one), clients not asked for certificates. aclFile: its users
   * (`user <name> on ><password> <rules>` lines; the default user is then as the file says).
   */
  static async start(options: { durable?: boolean; fsync?: 'always' | 'everysec'; password?: string; tls?: TlsFiles; aclFile?: string } = {}): Promise<RedisServer> {
    const fsync = options.durable === true ? (options.fsync ?? 'always') : undefined;
    const server = new RedisServer(await freePort(), mkdtempSync(join(tmpdir(), 'dualbus-redis-')), fsync, options.password, options.tls, options.aclFile);
    await server.launch();
    return server;
  }

  get url(): string {
    return `${this.tls !== undefined ? 'rediss' : 'redis'}://127.0.0.1:${this.port}`;
  }

  /** The redis-server process id while it runs (for CPU accounting in the benchmarks). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Starts it again on the same port and data directory (after kill). */
  async launch(): Promise<void> {
    const t = this.tls;
    const listen = t === undefined ? ['--port', String(this.port)] : ['--port', '0', '--tls-port', String(this.port), '--tls-cert-file', t.certFile, '--tls-key-file', t.keyFile, '--tls-ca-cert-file', t.caFile, '--tls-auth-clients', 'no'];
    const args = [...listen, '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--daemonize', 'no', '--protected-mode', 'no'];
    args.push(...(this.fsync !== undefined ? ['--appendonly', 'yes', '--appendfsync', this.fsync] : ['--appendonly', 'no']));
    if (this.password !== undefined) args.push('--requirepass', this.password);
    if (this.aclFile !== undefined) args.push('--aclfile', this.aclFile);
    const proc = spawn('redis-server', args, { stdio: 'ignore' });
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    const until = Date.now() + 10_000;
    while (!(await ping(this.port, t !== undefined))) {
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
