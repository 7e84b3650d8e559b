// A soak host in a child process (soak-host.ts), driven over IPC.
import { fork, type ChildProcess } from 'node:child_process';

export class SoakHost {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  readonly exited: Promise<number | null>;

  private constructor(readonly name: string, private readonly proc: ChildProcess) {
    this.exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.on('error', () => {}); // a send racing the child's exit: the call is rejected by the exit below
    proc.on('message', (m: { id?: number; ok?: boolean; value?: unknown; error?: string }) => {
      const p = m.id === undefined ? undefined : this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id!);
      if (m.ok) p.resolve(m.value);
      else p.reject(new Error(`${name}: ${m.error}`));
    });
    void this.exited.then(() => {
      for (const p of this.pending.values()) p.reject(new Error(`${name} exited`));
      this.pending.clear();
    });
  }

  static async start(name: string, md: string, el: string, actors: string[], env: Record<string, string>): Promise<SoakHost> {
    const proc = fork(new URL('./soak-host.js', import.meta.url), [name, md, el, actors.join(',')], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const host = new SoakHost(name, proc);
    await new Promise<void>((resolve, reject) => {
      proc.once('message', () => resolve());
      proc.once('exit', (code) => reject(new Error(`${name} exited with code ${code} while starting`)));
    });
    return host;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  call<T = any>(cmd: Record<string, unknown>, timeoutMs = 15_000): Promise<T> {
    const id = ++this.nextId;
    if (!this.proc.connected) return Promise.reject(new Error(`${this.name} is not running (exit code ${this.proc.exitCode}, signal ${this.proc.signalCode})`));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: no answer to ${String(cmd.cmd)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.proc.send({ id, ...cmd });
    });
  }

  async kill(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    await this.exited;
  }

  async shutdown(): Promise<void> {
    await this.call({ cmd: 'shutdown' }).catch(() => {});
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 10_000))]);
    await this.kill();
  }
}
