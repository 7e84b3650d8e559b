import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Ring } from '../src/transport/ring/ring.js';
import { mailboxLayout, maxPayloadBytes, recordBytes, ringDescriptor } from '../src/transport/ring/layout.js';
import { recordPattern } from './fixtures/ring-pattern.js';

const PRODUCER = new URL('../dist/test/fixtures/ring-producer.js', import.meta.url);

function newRing(capacity: number, startAt = 0): { ring: Ring; buffer: SharedArrayBuffer; ringByte: number } {
  const layout = mailboxLayout(capacity, 1024);
  const buffer = new SharedArrayBuffer(layout.totalBytes);
  // An empty ring whose head and tail both stand at `startAt` (as after any number of laps).
  const d = ringDescriptor(layout.messagesRingByte);
  const i32 = new Int32Array(buffer);
  i32[d.head] = i32[d.tail] = i32[d.done] = startAt | 0;
  return { ring: new Ring(buffer, layout.messagesRingByte, capacity), buffer, ringByte: layout.messagesRingByte };
}

/** Writes one pattern record; false when the ring is full. */
function put(ring: Ring, producer: number, seq: number): boolean {
  const len = recordPattern.length(producer, seq);
  const at = ring.claim(len);
  if (at < 0) return false;
  recordPattern.fill(ring.u8, at, len, producer, seq);
  ring.publish(at, len);
  return true;
}

function takeAll(ring: Ring): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  while (ring.drain((at, len) => out.push(recordPattern.check(ring.u8, at, len)), 1 << 30) > 0);
  return out;
}

/** `run`: each producer writes runs of up to this many records with one claim each. */
async function runProducers(producers: number, perProducer: number, capacity: number, run = 1): Promise<Map<number, number>> {
  const { ring, buffer, ringByte } = newRing(capacity);
  const workers = Array.from({ length: producers }, (_, producer) =>
    new Worker(PRODUCER, { workerData: { buffer, ringByte, capacity, producer, count: perProducer, run } }),
  );
  const exited = workers.map((w) => new Promise<number>((resolve, reject) => { w.once('exit', resolve); w.once('error', reject); }));
  const next = new Map<number, number>(); // producer -> next expected seq
  let total = 0;
  const expected = producers * perProducer;
  const visit = (at: number, len: number): void => {
    const [p, seq] = recordPattern.check(ring.u8, at, len); // throws on a torn record
    const want = next.get(p) ?? 0;
    if (seq !== want) throw new Error(`producer ${p}: got seq ${seq}, expected ${want} (lost, duplicated or reordered)`);
    next.set(p, want + 1);
    total++;
  };
  const deadline = Date.now() + 60_000;
  while (total < expected) {
    if (ring.drain(visit, 4096) === 0) {
      if (Date.now() > deadline) throw new Error(`only ${total} of ${expected} records arrived`);
      await new Promise((r) => setImmediate(r));
    }
  }
  await Promise.all(exited);
  expect(ring.drain(visit, 1)).toBe(0); // nothing extra, nothing duplicated
  expect(ring.depth()).toBe(0);
  return next;
}

describe('the mailbox ring', () => {
  it('a reader never sees a half-written record (2 producer threads, small ring, constant wrap-around)', async () => {
    const next = await runProducers(2, 100_000, 1024);
    expect([...next.entries()].sort()).toEqual([[0, 100_000], [1, 100_000]]);
  });

  it('3 producer threads x 1 M messages: none lost, none duplicated, per-producer order kept', async () => {
    const next = await runProducers(3, 1_000_000, 1 << 16);
    expect([...next.entries()].sort()).toEqual([[0, 1_000_000], [1, 1_000_000], [2, 1_000_000]]);
  }, 120_000);

  it('3 producer threads writing runs of 1-16 records with one claim each, in a small ring: none lost or torn, order kept', async () => {
    const next = await runProducers(3, 200_000, 1 << 12, 16);
    expect([...next.entries()].sort()).toEqual([[0, 200_000], [1, 200_000], [2, 200_000]]);
  }, 120_000);

  it('wraps around correctly from every starting offset, positions past 2^30 (an epoch), 2^31 and 2^32', () => {
    const capacity = 1024;
    for (const lap of [2 ** 30, 2 ** 31, 2 ** 32]) for (let start = 0; start < capacity; start += 8) {
      const { ring } = newRing(capacity, lap - capacity + start);
      let seq = 0;
      let taken: Array<[number, number]> = [];
      for (let round = 0; round < 4; round++) {
        const first = seq;
        while (put(ring, 0, seq)) seq++;
        expect(seq - first).toBeGreaterThan(5);
        taken = takeAll(ring);
        expect(taken.map(([, s]) => s)).toEqual(Array.from({ length: seq - first }, (_, i) => first + i));
      }
      expect(ring.usedBytes()).toBe(0);
    }
  });

  it('a full ring refuses the write (claim returns -1) and loses nothing already in it', () => {
    const { ring } = newRing(1024);
    let seq = 0;
    while (put(ring, 7, seq)) seq++;
    expect(ring.usedBytes() + recordBytes(recordPattern.length(7, seq))).toBeGreaterThan(1024);
    expect(ring.depth()).toBe(seq);
    const taken = takeAll(ring);
    expect(taken).toEqual(Array.from({ length: seq }, (_, i) => [7, i]));
    expect(put(ring, 7, seq)).toBe(true); // room again
  });

  it('accepts a payload of exactly half the ring after any wrap, which is its stated maximum', () => {
    const capacity = 1024;
    const max = maxPayloadBytes(capacity);
    expect(recordBytes(max)).toBe(capacity / 2);
    for (let start = 0; start < capacity; start += 8) {
      const { ring } = newRing(capacity, start);
      const at = ring.claim(max);
      expect(at).toBeGreaterThan(0);
      ring.publish(at, max);
      expect(ring.drain((_, len) => expect(len).toBe(max), 10)).toBe(1);
    }
  });

  it('a record is invisible until its length is published, and hides the records behind it', () => {
    const { ring } = newRing(1024);
    const a = ring.claim(16);
    const b = ring.claim(16);
    ring.publish(b, 16);
    expect(ring.drain(() => {}, 10)).toBe(0); // b is ready but a is not: order holds
    ring.publish(a, 16);
    const seen: number[] = [];
    ring.drain((at) => seen.push(at), 10);
    expect(seen).toEqual([a, b]);
  });
});

describe('runs of records written with one claim', () => {
  /** Writes records seq..seq+count-1 of producer p as one run; false when the ring is full. */
  function putRun(ring: Ring, p: number, seq: number, count: number): boolean {
    const lens = Array.from({ length: count }, (_, i) => recordPattern.length(p, seq + i));
    const first = ring.claimRun(lens.reduce((a, len) => a + Ring.runBytes(len), 0), count);
    if (first < 0) return false;
    let at = first;
    for (let i = 0; i < count; i++) {
      recordPattern.fill(ring.u8, ring.payloadByteOf(at), lens[i]!, p, seq + i);
      if (i > 0) ring.setLength(at, lens[i]!);
      at = ring.nextRecord(at, lens[i]!);
    }
    ring.publishRun(first, lens[0]!);
    return true;
  }

  it('at every wrap offset, runs of every length arrive whole, in order, and the ring ends empty', () => {
    const capacity = 1024;
    for (let start = 0; start < capacity; start += 8) {
      for (const count of [1, 2, 3, 7]) {
        const { ring } = newRing(capacity, 2 ** 32 - capacity + start);
        let seq = 0;
        for (let round = 0; round < 3; round++) {
          const first = seq;
          while (putRun(ring, 2, seq, count)) seq += count;
          expect(seq - first).toBeGreaterThanOrEqual(count);
          expect(ring.depth()).toBe(seq - first);
          expect(takeAll(ring).map(([, s]) => s)).toEqual(Array.from({ length: seq - first }, (_, i) => first + i));
        }
        expect(ring.usedBytes()).toBe(0);
      }
    }
  });

  it('a run is invisible until its first length is published, and then visible whole', () => {
    const { ring } = newRing(1024);
    const lens = [0, 1, 2].map((i) => recordPattern.length(9, i));
    const first = ring.claimRun(lens.reduce((a, len) => a + Ring.runBytes(len), 0), 3);
    let at = first;
    for (let i = 0; i < 3; i++) {
      recordPattern.fill(ring.u8, ring.payloadByteOf(at), lens[i]!, 9, i);
      if (i > 0) ring.setLength(at, lens[i]!);
      at = ring.nextRecord(at, lens[i]!);
    }
    expect(ring.drain(() => {}, 10)).toBe(0); // the later records' lengths are written, the first is not
    ring.publishRun(first, lens[0]!);
    expect(takeAll(ring)).toEqual([[9, 0], [9, 1], [9, 2]]);
  });

  it('a run claimed by a producer that died is skipped whole once stale', () => {
    const { ring } = newRing(1024);
    const first = ring.claimRun(Ring.runBytes(16) * 3, 3);
    ring.setLength(ring.nextRecord(first, 16), 16); // it died after writing part of the run
    putRun(ring, 1, 0, 1);
    expect(takeAll(ring)).toEqual([]);
    expect(ring.skipStaleClaim()).toBe(Ring.runBytes(16) * 3);
    expect(takeAll(ring)).toEqual([[1, 0]]);
    expect(ring.usedBytes()).toBe(0);
  });

  it('a producer idle while 2^32 bytes went by does not trust the head it cached, though it aliases: the epoch moved', () => {
    const { ring, buffer, ringByte } = newRing(1024, 512);
    const idle = new Ring(buffer, ringByte, 1024); // a producer thread that then sleeps a long time
    expect(put(idle, 5, 0)).toBe(true); // it caches head 512
    takeAll(ring);
    // Meanwhile others sent 2^32 - 256 bytes more through, and the ring is nearly full: head is
    // 2^32 + 256 (256 as a 32-bit position), tail 1000 bytes ahead, room for 24. From its cached
    // head the producer would compute 744 used, room for 280: it would write over unread bytes.
    // The consumer bumped the epoch at each multiple of 2^30 it crossed; the producer sees that.
    const d = ringDescriptor(ringByte);
    const i32 = new Int32Array(buffer);
    i32[d.head] = i32[d.done] = 256;
    i32[d.tail] = 256 + 1000;
    i32[d.epoch] += 4;
    expect(idle.claim(32)).toBe(-1); // a 40-byte record: refused, as it must be
    expect(idle.claim(16)).toBeGreaterThan(0); // a 24-byte one fits exactly
  });

  it('a producer caches the head it read, and reads it again only when the cache says full', () => {
    const { ring, buffer, ringByte } = newRing(1024);
    const producer = new Ring(buffer, ringByte, 1024); // another thread's view of the same ring
    let seq = 0;
    while (put(producer, 3, seq)) seq++;
    expect(takeAll(ring).length).toBe(seq); // the consumer freed everything: the producer's cache is stale
    expect(put(producer, 3, seq)).toBe(true); // the stale cache said full, it looked again, and wrote
    expect(takeAll(ring)).toEqual([[3, seq]]);
  });
});

describe('the mailbox ring across a consumer that dies', () => {
  it('a new consumer finds the record that was in hand, and nothing the dead one finished with', () => {
    const { ring, buffer, ringByte } = newRing(1024);
    for (let seq = 0; seq < 5; seq++) put(ring, 1, seq);
    // The consumer handles seq 0 and 1, then dies while handling seq 2 (stopAfter keeps it in hand).
    const handled: number[] = [];
    ring.drain((at, len) => handled.push(recordPattern.check(ring.u8, at, len)[1]), 10, () => handled.length === 3);
    expect(handled).toEqual([0, 1, 2]);
    const survivor = new Ring(buffer, ringByte, 1024); // what the runtime maps; the dead thread's Ring is gone
    expect(survivor.recoverConsumer()).toBe(true);
    expect(survivor.depth()).toBe(3); // 2 (in hand, to be delivered again), 3, 4
    const next = new Ring(buffer, ringByte, 1024); // the restarted consumer
    expect(takeAll(next).map(([, s]) => s)).toEqual([2, 3, 4]);
    expect(next.usedBytes()).toBe(0);
  });

  it('a consumer that died between records leaves nothing in hand', () => {
    const { ring, buffer, ringByte } = newRing(1024);
    for (let seq = 0; seq < 3; seq++) put(ring, 1, seq);
    expect(ring.drain(() => {}, 1)).toBe(1);
    const survivor = new Ring(buffer, ringByte, 1024);
    expect(survivor.recoverConsumer()).toBe(false);
    expect(takeAll(new Ring(buffer, ringByte, 1024)).map(([, s]) => s)).toEqual([1, 2]);
  });

  it('settle() releases the record kept in hand by an async handler', () => {
    const { ring } = newRing(1024);
    put(ring, 1, 0);
    put(ring, 1, 1);
    expect(ring.drain(() => {}, 10, () => true)).toBe(1);
    const used = ring.usedBytes();
    ring.settle();
    expect(ring.usedBytes()).toBeLessThan(used);
    expect(takeAll(ring).map(([, s]) => s)).toEqual([1]);
  });
});

describe('a claim never published (its producer died)', () => {
  it('is skipped once stale, with the size the producer wrote at claim time, and the records behind it flow', () => {
    const { ring } = newRing(1024);
    put(ring, 1, 0);
    const dead = ring.claim(40);
    ring.u8.fill(0xab, dead, dead + 20); // it died part-way through its payload
    put(ring, 1, 1);
    expect(takeAll(ring).map(([, s]) => s)).toEqual([0]);
    expect(ring.blockedByClaim()).toBe(true);
    expect(ring.skipStaleClaim()).toBe(recordBytes(40));
    expect(takeAll(ring).map(([, s]) => s)).toEqual([1]);
    expect(ring.usedBytes()).toBe(0);
    expect(ring.blockedByClaim()).toBe(false);
  });

  it('is skipped when its producer died before writing anything, up to the next record', () => {
    const { ring } = newRing(1024);
    const dead = ring.claim(40);
    new Int32Array(ring.buffer)[(dead >> 2) - 1] = 0; // as if it died right after its compare-exchange (its claimed-size word)
    put(ring, 1, 5);
    expect(ring.skipStaleClaim()).toBe(recordBytes(40));
    expect(takeAll(ring).map(([, s]) => s)).toEqual([5]);
  });

  it('a claim that is published is never skipped', () => {
    const { ring } = newRing(1024);
    put(ring, 1, 0);
    expect(ring.blockedByClaim()).toBe(false);
    expect(ring.skipStaleClaim()).toBe(0);
    expect(takeAll(ring).map(([, s]) => s)).toEqual([0]);
  });
});
