// A real Redis Cluster on localhost (tests, the failover measurement): 3 masters and 3 replicas,
// each a redis-server process on free ports in a temporary directory; never the Redis on 6379.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';

export interface RedisClusterOptions {
  /**
   * cluster-node-timeout: a master silent this long is taken to have failed, and its replica
   * stands for election (a failover takes about this plus 0.5-1 s). Default 1000.
   */
  nodeTimeoutMs?: number;
  /** Each node's append-only file: fsynced on every write, once a second (default), or none. */
  appendfsync?: 'always' | 'everysec' | 'off';
}

/** One node as CLUSTER NODES describes it. */
export interface ClusterNodeView {
  id: string;
  port: number;
  role: 'master' | 'replica';
  /** The master's id, for a replica. */
  masterId: string | undefined;
  /** Flagged failed (or suspected: fail?) by the node asked. */
  failed: boolean;
  /** Slot ranges, inclusive, for a master. */
  slots: Array<[number, number]>;
}

const MASTERS = 3;
const NODES = MASTERS * 2;

/** One redis-server of the cluster: its ports, its directory (nodes.conf, the AOF), its process. */
class ClusterMember {
  private proc: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly port: number,
    private readonly args: string[],
  ) {}

  get running(): boolean {
    return this.proc !== undefined;
  }

  /** Starts it (again, after kill: same ports, same nodes.conf, so it rejoins as what the cluster says it is). */
  async launch(): Promise<void> {
    const proc = spawn('redis-server', this.args, { stdio: 'ignore' });
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    let gone = false;
    void this.exited.then(() => (gone = true));
    const until = Date.now() + 10_000;
    while ((await command(this.port, 'PING').catch(() => undefined)) !== 'PONG') {
      // Exited at once: most likely one of its ports was taken between freePort() and its bind.
      if (gone) throw new Error(`redis-server on port ${this.port} exited while starting`);
      if (Date.now() > until) throw new Error(`redis-server on port ${this.port} did not answer PING within 10 s`);
      await sleep(20);
    }
  }

  /** SIGKILL: no shutdown, no final save, no goodbye to the other nodes. */
  async kill(): Promise<void> {
    this.proc?.kill('SIGKILL');
    await this.exited;
    this.proc = undefined;
  }

  killNow(): void {
    this.proc?.kill('SIGKILL');
  }

  /** SIGSTOP / SIGCONT: the process freezes (its sockets stay open, nothing is answered) and goes on. */
  signal(signal: 'SIGSTOP' | 'SIGCONT'): void {
    this.proc?.kill(signal);
  }
}

/** Clusters not stopped yet: killed if the process exits without stopping them (a test run aborted). */
const live = new Set<RedisCluster>();
process.once('exit', () => {
  for (const c of live) c.killNow();
});

export class RedisCluster {
  private readonly slotsAtKill = new Map<number, Array<[number, number]>>();

  private constructor(
    private readonly members: ClusterMember[],
    private readonly dirs: string[],
    readonly options: Required<RedisClusterOptions>,
  ) {}

  /** Starts one; tried three times, with new ports each time (a port found free may be taken by another process before a node binds it). */
  static async start(options: RedisClusterOptions = {}): Promise<RedisCluster> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await RedisCluster.startOnce(options);
      } catch (err) {
        if (attempt === 3) throw err;
      }
    }
  }

  private static async startOnce(options: RedisClusterOptions): Promise<RedisCluster> {
    const o: Required<RedisClusterOptions> = { nodeTimeoutMs: options.nodeTimeoutMs ?? 1000, appendfsync: options.appendfsync ?? 'everysec' };
    const members: ClusterMember[] = [];
    const dirs: string[] = [];
    for (let i = 0; i < NODES; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'dualbus-cluster-'));
      dirs.push(dir);
      // The cluster bus port is given too: port + 10000, the default, may be taken or past 65535.
      const [port, busPort] = [await freePort(), await freePort()];
      const args = [
        '--port', String(port), '--cluster-port', String(busPort), '--bind', '127.0.0.1', '--protected-mode', 'no', '--daemonize', 'no',
        '--dir', dir, '--save', '',
        '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--cluster-node-timeout', String(o.nodeTimeoutMs),
        // The slots of a failed shard stop, not the whole cluster: the other shards keep serving during a failover.
        '--cluster-require-full-coverage', 'no',
        // A replica's full sync starts at once (Redis waits 5 s by default, for more replicas to share it).
        '--repl-diskless-sync-delay', '0',
        ...(o.appendfsync === 'off' ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', o.appendfsync]),
      ];
      members.push(new ClusterMember(port, args));
    }
    const cluster = new RedisCluster(members, dirs, o);
    live.add(cluster);
    try {
      await Promise.all(members.map((m) => m.launch()));
      await promisify(execFile)('redis-cli', ['--cluster', 'create', ...members.map((m) => `127.0.0.1:${m.port}`), '--cluster-replicas', '1', '--cluster-yes'], { timeout: 30_000 });
      await cluster.waitUntilHealthy();
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** The bus target for these nodes (every node given: any one is enough to find the others). */
  get target(): { cluster: Array<{ host: string; port: number }> } {
    return { cluster: this.members.map((m) => ({ host: '127.0.0.1', port: m.port })) };
  }

  get ports(): number[] {
    return this.members.map((m) => m.port);
  }

  /** The nodes as a running node sees them. */
  async topology(): Promise<ClusterNodeView[]> {
    return parseClusterNodes(String(await this.ask('CLUSTER', 'NODES')));
  }

  /** The master serving `key`'s slot now. */
  async masterOf(key: string): Promise<ClusterNodeView> {
    const slot = Number(await this.ask('CLUSTER', 'KEYSLOT', key));
    const master = (await this.topology()).find((n) => n.role === 'master' && !n.failed && n.slots.some(([a, b]) => slot >= a && slot <= b));
    if (master === undefined) throw new Error(`no master serves slot ${slot} (of ${key})`);
    return master;
  }

  /** SIGKILLs the node on `port` (the slots it served are remembered, to see them taken over). */
  async kill(port: number): Promise<void> {
    const view = (await this.topology()).find((n) => n.port === port);
    this.slotsAtKill.set(port, view?.slots ?? []);
    await this.member(port).kill();
  }

  /** Freezes the node on `port` (SIGSTOP): a replica frozen so acknowledges no write (WAIT times out). */
  pause(port: number): void {
    this.member(port).signal('SIGSTOP');
  }

  /** Lets a frozen node go on (SIGCONT). */
  resume(port: number): void {
    this.member(port).signal('SIGCONT');
  }

  /** The replica of the master `master` (one per master here). */
  async replicaOf(master: ClusterNodeView): Promise<ClusterNodeView> {
    const replica = (await this.topology()).find((n) => n.role === 'replica' && n.masterId === master.id && !n.failed);
    if (replica === undefined) throw new Error(`the master on port ${master.port} has no replica`);
    return replica;
  }

  /** Starts the node on `port` again; a master failed over meanwhile comes back as a replica of its successor. */
  async restart(port: number): Promise<void> {
    await this.member(port).launch();
  }

  /**
   * Waits until the replica of the master killed on `port` has been promoted (by the cluster's own
   * failover: the other masters vote it in) and every running node says cluster_state:ok; returns
   * the new master.
   */
  async waitForFailover(port: number, timeoutMs = 20_000): Promise<ClusterNodeView> {
    const slots = this.slotsAtKill.get(port) ?? [];
    if (slots.length === 0) throw new Error(`the node on port ${port} was not a master with slots when it was killed`);
    const until = Date.now() + timeoutMs;
    for (;;) {
      const nodes = await this.topology().catch(() => []);
      const promoted = nodes.find((n) => n.role === 'master' && !n.failed && n.port !== port && n.slots.some(([a]) => a === slots[0]![0]));
      if (promoted !== undefined && (await this.allOk())) return promoted;
      if (Date.now() > until) throw new Error(`no replica of the master on port ${port} was promoted within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /**
   * Waits until every running node says cluster_state:ok, knows every node, and every master
   * with slots has a replica whose link to it is up (in sync).
   */
  async waitUntilHealthy(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!(await this.allOk()) || !(await this.replicasInSync())) {
      if (Date.now() > until) throw new Error(`the cluster did not become healthy within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /** Kills every node and removes their directories. */
  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.kill()));
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
    live.delete(this);
  }

  /** @internal the process-exit hook */
  killNow(): void {
    for (const m of this.members) m.killNow();
  }

  private member(port: number): ClusterMember {
    const m = this.members.find((x) => x.port === port);
    if (m === undefined) throw new Error(`no node of this cluster on port ${port}`);
    return m;
  }

  /** A command to any running node that answers. */
  private async ask(...args: string[]): Promise<unknown> {
    let last: unknown;
    for (const m of this.members.filter((x) => x.running)) {
      try {
        return await command(m.port, ...args);
      } catch (err) {
        last = err;
      }
    }
    throw last ?? new Error('no node of the cluster is running');
  }

  private async allOk(): Promise<boolean> {
    const running = this.members.filter((m) => m.running);
    const infos = await Promise.all(running.map((m) => command(m.port, 'CLUSTER', 'INFO').then(String, () => '')));
    return infos.every((i) => /cluster_state:ok/.test(i) && new RegExp(`cluster_known_nodes:${NODES}\\b`).test(i));
  }

  private async replicasInSync(): Promise<boolean> {
    const nodes = await this.topology().catch(() => []);
    const masters = nodes.filter((n) => n.role === 'master' && n.slots.length > 0 && !n.failed);
    if (masters.length !== MASTERS) return false;
    for (const master of masters) {
      const replicas = nodes.filter((n) => n.role === 'replica' && n.masterId === master.id && !n.failed);
      const links = await Promise.all(replicas.map((r) => command(r.port, 'INFO', 'replication').then(String, () => '')));
      if (!links.some((l) => /master_link_status:up/.test(l))) return false;
    }
    return true;
  }
}

/** One command on a short-lived connection to one node (no cluster redirection). */
async function command(port: number, ...args: string[]): Promise<unknown> {
  const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 1000, enableOfflineQueue: false });
  r.on('error', () => {}); // a node down is an answer here (the caller tries another or later)
  try {
    await r.connect();
    return await r.call(args[0]!, ...args.slice(1));
  } finally {
    r.disconnect();
  }
}

/** CLUSTER NODES: `<id> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link> <slot>...`. */
export function parseClusterNodes(text: string): ClusterNodeView[] {
  return text
    .trim()
    .split('\n')
    .filter((l) => l.length > 0)
    .map((line) => {
      const [id, address, flags, master, , , , , ...slots] = line.trim().split(' ') as [string, string, string, string, ...string[]];
      const flagSet = new Set(flags.split(','));
      return {
        id,
        port: Number(address.split('@')[0]!.split(':').pop()),
        role: flagSet.has('master') ? 'master' : 'replica',
        masterId: master === '-' ? undefined : master,
        failed: flagSet.has('fail') || flagSet.has('fail?'),
        // Importing/migrating markers ([slot-<-id]) are not ranges served.
        slots: slots.filter((s) => !s.startsWith('[')).map((s): [number, number] => {
          const [a, b] = s.split('-');
          return [Number(a), Number(b ?? a)];
        }),
      };
    });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
