// The second producer of the crash-drill stream: writes its sequence into stage1 in chunks.
import { defineActor } from 'dualbus';
import { Seq } from '../chain-records.js';

const nap = new Int32Array(new SharedArrayBuffer(4));

export default defineActor<{ producer: number; from: number; count: number }>({
  receive(_state, msg, ctx) {
    for (let seq = msg.from; seq < msg.from + msg.count; seq++) {
      while (!ctx.sendRecord('stage1', Seq, { producer: msg.producer, seq })) Atomics.wait(nap, 0, 0, 0.05);
    }
  },
});
