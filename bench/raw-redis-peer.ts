// The raw ioredis side of the cross-host bench, one command per message, in a process of its own:
// 'xadd' writes n messages to a stream (XADD each); 'xread' reads them with a consumer group and
// acknowledges each (XACK each); 'publish' PUBLISHes each; 'subscribe' receives them. Auto-pipelined.
import { Redis } from 'ioredis';
import { Packr } from 'msgpackr';
import { ownCpuMs } from './cpu.js';
import { pingObject } from './shared.js';

const [role, url, nArg] = process.argv.slice(2) as ['xadd' | 'xread' | 'publish' | 'subscribe', string, string];
const n = Number(nArg);
const packr = new Packr({ useRecords: false, moreTypes: false });
const redis = new Redis(url, { enableAutoPipelining: true, maxRetriesPerRequest: null });
const now = () => performance.timeOrigin + performance.now();
const report = (m: Record<string, unknown>) => process.send!({ ...m, cpuMs: ownCpuMs() });

process.on('message', (m: { cpu?: true; go?: true }) => {
  if (m.cpu) report({});
  if (m.go) void run();
});

async function run(): Promise<void> {
  if (role === 'xadd' || role === 'publish') {
    for (let i = 0; i < n; ) {
      const burst = Math.min(i + 1024, n);
      const sent: Promise<unknown>[] = [];
      for (; i < burst; i++) {
        const body = packr.pack(pingObject(i, 0));
        sent.push(role === 'xadd' ? redis.xadd('raw:el', 'MAXLEN', '~', '1000000', '*', 'f', body) : redis.publish('raw:md', body));
      }
      await Promise.all(sent); // a window of 1024 in flight: the server is the limit, not memory
    }
    report({ sent: n });
    return;
  }
  let got = 0;
  let first = 0;
  if (role === 'subscribe') {
    redis.on('messageBuffer', (_ch: Buffer, body: Buffer) => {
      packr.unpack(body);
      if (got++ === 0) first = now();
      if (got === n) report({ done: { ms: now() - first, n } });
    });
    await redis.subscribe('raw:md');
    report({ subscribed: true });
    return;
  }
  await redis.xgroup('CREATE', 'raw:el', 'g', '0', 'MKSTREAM').catch(() => {});
  report({ subscribed: true });
  while (got < n) {
    const reply = (await redis.xreadgroupBuffer('GROUP', 'g', 'c', 'COUNT', 512, 'BLOCK', 100, 'STREAMS', 'raw:el', '>')) as Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;
    if (reply === null) continue;
    const acks: Promise<unknown>[] = [];
    for (const [id, fields] of reply[0]![1]) {
      packr.unpack(fields[1]!);
      if (got++ === 0) first = now();
      acks.push(redis.xack('raw:el', 'g', id));
    }
    await Promise.all(acks);
  }
  report({ done: { ms: now() - first, n } });
}
report({ ready: true });
if (role === 'xread' || role === 'subscribe') void run(); // consumers start at once; producers on 'go'
