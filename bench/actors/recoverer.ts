// Recovery drills: fails on command, but first sends itself a 'stamp' with the time of the failure;
// the restarted actor handles the stamp (it waits in the mailbox, behind the message in hand) and
// publishes when, so failure -> next message handled is timed inside the actor, whatever the host
// is doing meanwhile.
//   throw:  receive throws (onError 'restart'); the message comes again and is then handled (this
//           module remembers the ids it threw on: in place, the module stays loaded)
//   crash:  an exception thrown from a timer, nobody catches it (in place)
//   exit:   process.exit from a timer (the worker dies)
//   stamp:  publishes { crashAt, handledAt } on drill.recovered (the host sends one after a kill)
import { defineActor } from 'dualbus';
import { now } from '../shared.js';

const thrown = new Set<number>();

type Msg = { type: 'crash' } | { type: 'exit' } | { type: 'throw'; id: number } | { type: 'stamp'; crashAt: number };

export default defineActor<Msg>({
  receive(_state, msg, ctx) {
    switch (msg.type) {
      case 'stamp':
        ctx.publish('drill.recovered', { crashAt: msg.crashAt, handledAt: now() });
        return;
      case 'throw':
        if (thrown.has(msg.id)) return; // delivered again after the restart
        thrown.add(msg.id);
        ctx.send(ctx.self, { type: 'stamp', crashAt: now() });
        throw new Error('recovery drill (receive)');
      case 'crash':
        setTimeout(() => {
          ctx.send(ctx.self, { type: 'stamp', crashAt: now() });
          throw new Error('recovery drill');
        }, 0);
        return;
      case 'exit':
        setTimeout(() => {
          ctx.send(ctx.self, { type: 'stamp', crashAt: now() });
          process.exit(1);
        }, 0);
    }
  },
});
