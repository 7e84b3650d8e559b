import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Ring } from '../src/transport/ring/ring.js';
import { RING_HEAD, RING_TAIL, mailboxLayout, maxPayloadBytes, recordBytes, ringWord } from '../src/transport/ring/layout.js';
import { recordPattern } from './fixtures/ring-pattern.js';

const PRODUCER = new URL('../dist/test/fixtures/ring-producer.js', import.meta.url);

function newRing(capacity: number, startAt = 0): { ring: Ring; buffer: SharedArrayBuffer; ringByte: number } {
  const layout = mailboxLayout(capacity, 1024);
  const buffer = new SharedArrayBuffer(layout.totalBytes);
  // An empty ring whose head and tail both stand at `startAt` (as after any number of laps).
  const i32 = new Int32Array(buffer);
  i32[ringWord(layout.messagesRingByte) + RING_HEAD] = startAt;
  i32[ringWord(layout.messagesRingByte) + RING_TAIL] = startAt;
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

async function runProducers(producers: number, perProducer: number, capacity: number): Promise<Map<number, number>> {
  const { ring, buffer, ringByte } = newRing(capacity);
  const workers = Array.from({ length: producers }, (_, producer) =>
    new Worker(PRODUCER, { workerData: { buffer, ringByte, capacity, producer, count: perProducer } }),
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

  it('wraps around correctly from every starting offset', () => {
    const capacity = 1024;
    for (let start = 0; start < capacity; start += 8) {
      const { ring } = newRing(capacity, 2 ** 31 - capacity + start); // positions also wrap past 2^31
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
