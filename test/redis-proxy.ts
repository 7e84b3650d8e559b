// A TCP proxy between a client and a real redis-server that can lose one reply on purpose: it lets
// a command through to Redis, which carries it out, then cuts both connections instead of passing
// the answer back (what a Redis killed after writing its AOF and before replying looks like).
import { createServer, connect, type Server, type Socket } from 'node:net';

export class RedisProxy {
  private armed: { command: Buffer; cut: () => void } | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static async start(targetPort: number): Promise<RedisProxy> {
    const server = createServer();
    const proxy = new RedisProxy(server);
    server.on('connection', (client) => proxy.pipe(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  /** The next command containing all of `needle`'s bytes reaches Redis; its reply is lost with the connection. */
  loseReplyTo(needle: string): Promise<void> {
    return new Promise((cut) => (this.armed = { command: Buffer.from(needle), cut }));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private pipe(client: Socket, targetPort: number): void {
    const upstream = connect(targetPort, '127.0.0.1');
    this.sockets.add(client).add(upstream);
    let cutAfterReply: (() => void) | undefined;
    client.on('data', (chunk: Buffer) => {
      if (this.armed !== undefined && chunk.includes(this.armed.command)) {
        cutAfterReply = this.armed.cut;
        this.armed = undefined;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (cutAfterReply === undefined) return void client.write(chunk);
      client.destroy();
      upstream.destroy();
      cutAfterReply();
    });
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  }
}
