// An actor that writes the seq of every message it handles to a journal file before its receive
// returns (4 bytes, writeSync: it survives the process being killed), and takes the soak's fault
// messages: throw once, hang once.
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { defineActor } from 'dualbus';
import { firstDelivery } from './once.js';

type Msg = { seq: number } | { type: 'throw'; id: string } | { type: 'hang'; id: string; ms: number } | { type: 'count?' };

export function journaled(file: string) {
  return defineActor<Msg, number, { fd: number; word: Buffer; count: number }>({
    init: () => ({ fd: openSync(join(process.env.SOAK_DIR!, file), 'a'), word: Buffer.alloc(4), count: 0 }),
    receive(state, msg, ctx) {
      if ('seq' in msg) {
        state.word.writeUInt32LE(msg.seq);
        writeSync(state.fd, state.word);
        state.count++;
        return;
      }
      if (msg.type === 'count?') return ctx.reply(state.count);
      if (!firstDelivery(msg.id)) return;
      if (msg.type === 'throw') throw new Error(`soak fault ${msg.id}: a receive that throws`);
      const until = performance.now() + msg.ms; // a hang: the watchdog must find it and restart the actor
      while (performance.now() < until);
    },
    stop: (state) => closeSync(state.fd),
  });
}
