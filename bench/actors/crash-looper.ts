// A crash loop: every incarnation fails 20 ms after it starts, having sent itself a 'stamp' with
// the time; the next incarnation handles the stamp and publishes { crashAt, handledAt } on
// drill.recovered. Named 'loop-exit' it exits its worker (process.exit: a worker death); named
// otherwise it throws from a timer (in place).
import { defineActor } from 'dualbus';
import { now } from '../shared.js';

export const CRASH_EVERY_MS = 20;

export default defineActor<{ type: 'stamp'; crashAt: number }>({
  init(ctx) {
    setTimeout(() => {
      ctx.send(ctx.self, { type: 'stamp', crashAt: now() });
      if (ctx.self === 'loop-exit') process.exit(1);
      throw new Error('crash loop');
    }, CRASH_EVERY_MS);
  },
  receive(_state, msg, ctx) {
    ctx.publish('drill.recovered', { crashAt: msg.crashAt, handledAt: now() });
  },
});
