import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { pino } from 'pino';
import { busAclRules, createSystem } from 'dualbus';
import { describe, expect, it } from 'vitest';
import { RedisServer } from '../tools/redis-server.js';
import { selfSignedCertificate } from '../tools/self-signed.js';
import { clusterName, cleanups, exchangeAcrossHosts, Host, type Buses } from './bus-hosts.js';

const silent = pino({ level: 'silent' });
const ADMIN = 'admin-secret';
const BRIDGE = 'bridge-secret';

/**
 * Both buses behind TLS only (a certificate signed by a CA made here), each with an ACL user
 * `bridge` that has exactly the rules busAclRules gives (the default user keeps everything, for
 * the test's own look at Redis).
 */
async function tlsBuses(): Promise<Buses & { caPem: string }> {
  const cert = selfSignedCertificate();
  const cluster = clusterName();
  const aclFile = (bus: 'engineLogic' | 'marketData') => {
    const path = join(cert.dir, `${bus}.acl`);
    writeFileSync(path, [`user default on >${ADMIN} ~* &* +@all`, `user bridge on >${BRIDGE} ${busAclRules(cluster, bus)}`, ''].join('\n'));
    return path;
  };
  const md = await RedisServer.start({ tls: cert, aclFile: aclFile('marketData') });
  const el = await RedisServer.start({ durable: true, tls: cert, aclFile: aclFile('engineLogic') });
  cleanups.push(() => md.stop(), () => el.stop());
  const asBridge = (s: RedisServer): RedisOptions => ({ host: '127.0.0.1', port: s.port, username: 'bridge', password: BRIDGE, tls: { ca: cert.caPem, servername: 'localhost' } });
  return { md, el, cluster, caPem: cert.caPem, targets: { marketData: asBridge(md), engineLogic: asBridge(el) } };
}

function client(options: RedisOptions): Redis {
  const r = new Redis({ ...options, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => {});
  cleanups.push(() => void r.disconnect());
  return r;
}

describe('the bus over TLS, as an ACL user with only what the bridge needs', () => {
  it('two hosts exchange send, ask and publish with wildcards over TLS as the restricted user', async () => {
    const b = await tlsBuses();
    const a = await Host.start('host-a', b, ['echo=echo']);
    const hb = await Host.start('host-b', b, ['collector=collector', 'tally=tally']);
    await exchangeAcrossHosts(a, hb);
    // A graceful stop, as the restricted user (its progress record, its registry entry removed).
    for (const h of [a, hb]) {
      await h.call({ cmd: 'shutdown' });
      await h.exited;
    }
    // The bridge really was held to its rules: the same user may do nothing else.
    const asBridge = client(b.targets!.engineLogic as RedisOptions);
    await asBridge.connect();
    await expect(asBridge.get(`${b.cluster}:el:host-b`)).rejects.toThrow(/NOPERM/);
    await expect(asBridge.hset('elsewhere:key', 'f', 'v')).rejects.toThrow(/NOPERM/);
    await expect(asBridge.flushall()).rejects.toThrow(/NOPERM/);
    const mdAsBridge = client(b.targets!.marketData as RedisOptions);
    await mdAsBridge.connect();
    await expect(mdAsBridge.publish('elsewhere', 'x')).rejects.toThrow(/NOPERM/);
    await expect(mdAsBridge.set(`${b.cluster}:k`, 'v')).rejects.toThrow(/NOPERM/);
    // Redis denied nothing but the test's probes above: none of the hosts' commands (ACL LOG: the command, key or channel refused).
    const deniedOn = async (server: RedisServer) => {
      const admin = client({ host: '127.0.0.1', port: server.port, password: ADMIN, tls: { ca: b.caPem, servername: 'localhost' } });
      await admin.connect();
      const log = (await admin.call('ACL', 'LOG')) as unknown[][];
      return log.map((entry) => String(entry[entry.indexOf('object') + 1])).sort();
    };
    expect(await deniedOn(b.el)).toEqual(['elsewhere:key', 'flushall', 'get']);
    expect(await deniedOn(b.md)).toEqual(['elsewhere', 'set']);
  }, 60_000);

  it('a bus that needs TLS reached without the CA, or the user with a wrong password, fails createSystem clearly', async () => {
    const b = await tlsBuses();
    const el = b.targets!.engineLogic as RedisOptions;
    const md = b.targets!.marketData;
    await expect(createSystem({ name: 'x', logger: silent, bus: { marketData: md, engineLogic: { ...el, tls: {} }, cluster: b.cluster, startTimeoutMs: 1500 } })).rejects.toThrow(
      /engine-logic.*(certificate|self-signed|self signed)/is,
    );
    await expect(createSystem({ name: 'x', logger: silent, bus: { marketData: md, engineLogic: { ...el, password: 'wrong' }, cluster: b.cluster, startTimeoutMs: 1500 } })).rejects.toThrow(
      /engine-logic.*(WRONGPASS|invalid username-password)/is,
    );
  }, 30_000);
});
