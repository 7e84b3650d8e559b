import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { busKeys } from '../src/transport/redis/config.js';
import { buses, cleanups, Host } from './bus-hosts.js';
import { eventually } from './helpers.js';

const N = 100_000;
const MAX_IN_HAND = 4096;
const BATCH_MAX = 256;

/** The seqs the journal fixture wrote, in the order it handled them. */
function journalSeqs(path: string): number[] {
  const bytes = readFileSync(path);
  return Array.from({ length: bytes.length >> 2 }, (_, i) => bytes.readUInt32LE(i * 4));
}

const journalCount = (path: string): number => {
  try {
    return statSync(path).size >> 2;
  } catch {
    return 0;
  }
};

function isIncreasing(seqs: readonly number[]): boolean {
  for (let i = 1; i < seqs.length; i++) if (seqs[i]! <= seqs[i - 1]!) return false;
  return true;
}

describe('a host killed mid-stream', () => {
  it('loses nothing: after its restart all 100k engine-logic messages are handled, in order per process, and the duplicates are at most what it held', async () => {
    const b = await buses();
    const journal = join(mkdtempSync(join(tmpdir(), 'dualbus-death-')), 'journal.bin');
    // 10 µs per message: the receiving actor is the slowest stage, so its ring and the bridge hold messages when the kill comes.
    const env = { DUALBUS_JOURNAL: journal, DUALBUS_JOURNAL_SPIN_US: '10', DUALBUS_TEST_BUS: JSON.stringify({ maxInHand: MAX_IN_HAND, batchMax: BATCH_MAX }) };
    const a = await Host.start('host-a', b, [], env);
    const first = await Host.start('host-b', b, ['journal=journal'], env);
    await eventually(() => a.call<boolean>({ cmd: 'knows?', name: 'journal' }), (k) => k, 10_000);
    const sending = a.call<number>({ cmd: 'send-many', to: 'journal', from: 0, count: N });
    await eventually(() => journalCount(journal), (n) => n >= 30_000, 60_000);
    const held = (await first.call<any>({ cmd: 'stats?' })).bus.inHand as number;
    await first.kill();
    const before = journalCount(journal);
    expect(before).toBeLessThan(N);
    expect(held).toBeLessThanOrEqual(MAX_IN_HAND + BATCH_MAX); // its figure, sampled a moment before the kill

    const next = await Host.start('host-b', b, ['journal=journal'], env);
    expect(await sending).toBe(N);
    await eventually(() => new Set(journalSeqs(journal)).size, (n) => n === N, 60_000);
    // Everything is handled: the stream has nothing pending (all acknowledged), and nothing more comes.
    const raw = new Redis(b.el.url);
    cleanups.push(() => void raw.disconnect());
    await eventually(async () => ((await raw.xpending(busKeys(b.cluster).stream('host-b'), 'dualbus')) as [number])[0], (p) => p === 0, 10_000);
    const seqs = journalSeqs(journal);
    const duplicates = seqs.length - N;
    expect(new Set(seqs).size).toBe(N); // none lost
    expect(duplicates).toBeGreaterThanOrEqual(0);
    expect(duplicates).toBeLessThanOrEqual(MAX_IN_HAND + BATCH_MAX);
    // Each process handled the sender's messages in order (the second took over the first's pending entries before anything newer).
    expect([isIncreasing(seqs.slice(0, before)), isIncreasing(seqs.slice(before))]).toEqual([true, true]);
    // Duplicates are only messages the first process had handled: the second began at most that far back.
    expect(seqs[before]).toBeGreaterThan(seqs[before - 1]! - MAX_IN_HAND - BATCH_MAX);
    const stats = await next.call<any>({ cmd: 'stats?' });
    expect(stats.bus.claimed).toBeGreaterThan(0);
    console.log(`host death: ${before} handled before the kill (${held} in hand a moment before), ${duplicates} handled twice after the restart`);
  }, 120_000);
});
