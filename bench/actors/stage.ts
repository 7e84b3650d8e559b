// One stage of the crash-drill chain: forwards each record to the next stage (stage1 -> stage2 ->
// stage3 -> checker), waiting for room rather than dropping when the next mailbox is full.
import { defineActor } from 'dualbus';
import { Seq } from '../chain-records.js';
import type { ViewOf } from 'dualbus';

const NEXT: Record<string, string> = { stage1: 'stage2', stage2: 'stage3', stage3: 'checker' };
const nap = new Int32Array(new SharedArrayBuffer(4));

export default defineActor<ViewOf<typeof Seq>>({
  receive(_state, msg, ctx) {
    const next = NEXT[ctx.self]!;
    const values = { producer: msg.producer, seq: msg.seq };
    // The next stage may be full or restarting: wait in short naps (its ring keeps filling meanwhile).
    while (!ctx.sendRecord(next, Seq, values)) Atomics.wait(nap, 0, 0, 0.05);
  },
});
