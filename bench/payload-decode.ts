// The receiver's hot path for plain values: one msgpack payload, in a ring's shared buffer, decoded
// as an actor's loop does per message: readHeader + PayloadDecoder.decode ("now"), and the same
// steps as PayloadDecoder did them before msgpack-screen.ts ("before": readHeader, a view of the
// payload, msgpackr with the same options, the C1 check). The screen alone, on a view made once,
// is shown too. Interleaved in one process, so that the shared machine's noise falls on all alike.
//   npx tsc -p tsconfig.json && node dist/bench/payload-decode.js
import { C1, Packr } from 'msgpackr';
import { Bench } from 'tinybench';
import { Encoding, FRAME_HEADER_BYTES, emptyHeader, readHeader, writeHeader } from '../src/transport/codec/frame.js';
import { screenMsgpack } from '../src/transport/codec/msgpack-screen.js';
import { PayloadDecoder, PayloadEncoder } from '../src/transport/codec/payload.js';
import { Kind } from '../src/transport/protocol.js';

const cases: Record<string, unknown> = {
  'tick object': { sym: 'AAPL', px: 101.5, qty: 300, ts: 1_700_000_000_123, side: 'buy' },
  'object with a Date': { sym: 'AAPL', px: 101.5, at: new Date(1_700_000_000_123) },
  'object with 32 numbers': { sym: 'AAPL', levels: Array.from({ length: 32 }, (_, i) => 100 + i / 4) },
  'object with 256 bytes (bin)': { sym: 'AAPL', blob: new Uint8Array(256).fill(7) },
};

const before = new Packr({ useRecords: false, moreTypes: false });
const bench = new Bench({ name: 'payload decode', time: 1000, warmup: true });
let sink: unknown;
for (const [name, value] of Object.entries(cases)) {
  const payload = Uint8Array.from(new PayloadEncoder(Infinity).encode(value).bytes);
  const buffer = new SharedArrayBuffer(64 * 1024);
  const dv = new DataView(buffer);
  const at = 4096; // 8-aligned, as a frame in a ring
  writeHeader(dv, at, Kind.Send, 0, Encoding.Msgpack, payload.length, 0, 1, 0, 0);
  new Uint8Array(buffer).set(payload, at + FRAME_HEADER_BYTES);
  const decoder = new PayloadDecoder(buffer);
  const header = emptyHeader();
  const frameBytes = FRAME_HEADER_BYTES + payload.length;
  const u8 = new Uint8Array(buffer);
  const view = u8.subarray(at + FRAME_HEADER_BYTES, at + frameBytes);
  const label = `${name}, ${payload.length} B`;
  bench
    .add(`${label}: before`, () => {
      const h = readHeader(dv, at, frameBytes, header);
      const value = before.unpack(u8.subarray(h.payloadByte, h.payloadByte + h.payloadBytes));
      if (value === C1) throw new Error('C1');
      sink = value;
    })
    .add(`${label}: now`, () => {
      sink = decoder.decode(readHeader(dv, at, frameBytes, header));
    })
    .add(`${label}: screen alone`, () => screenMsgpack(view));
}
await bench.run();
void sink;
console.table(bench.table().map((r) => ({ task: r?.['Task name'], 'median (ns)': r?.['Latency med (ns)'], 'mean (ns)': r?.['Latency avg (ns)'] })));
