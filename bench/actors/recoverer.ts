// Recovery drills: crashes on command (an uncaught exception, after telling the host when) and
// stamps when it handles a ping, so the host can time crash -> next message handled.
import { defineActor } from 'dualbus';
import { now } from '../shared.js';

export default defineActor<{ type: 'crash' } | { type: 'ping' }, { handledAt: number }>({
  receive(_state, msg, ctx) {
    if (msg.type === 'ping') {
      ctx.reply({ handledAt: now() });
      return;
    }
    setTimeout(() => {
      ctx.publish('drill.crash', { at: now() });
      throw new Error('recovery drill');
    }, 0);
  },
});
