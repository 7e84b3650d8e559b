// The kernel bench's engine: round trips of the empty kernel from an actor, and a risk engine that
// computes VaR 100 times (offloaded to the pool with pipeToSelf, or inline in its own thread)
// while the host pings it, so the pings' latency shows what each way costs the engine's other messages.
import { defineActor, sharedArray } from 'dualbus';
import { BUILTIN_KERNELS } from '../../src/kernels/builtin/index.js';
import { contextFor } from '../../src/kernels/context.js';
import { jsCores } from '../../src/kernels/cores-js.js';

type Msg =
  | { type: 'empty'; n: number }
  | { type: 'var'; mode: 'offload' | 'inline'; calls: number; t: number; n: number; backend: 'js' | 'native' }
  | { type: 'next' }
  | { type: 'done' }
  | { type: 'ping' }
  | { type: 'status?' };

const varHistorical = BUILTIN_KERNELS.find((k) => k.name === 'var.historical')!;

interface State {
  left: number;
  mode: 'offload' | 'inline';
  backend: 'js' | 'native';
  input: unknown;
  finishedAt: number;
}

export default defineActor<Msg, unknown, State>({
  init: () => ({ left: 0, mode: 'offload', backend: 'js', input: undefined, finishedAt: 0 }),
  async receive(state, msg, ctx) {
    switch (msg.type) {
      case 'empty': {
        const ms: number[] = [];
        for (let i = 0; i < msg.n; i++) {
          const t0 = performance.now();
          await ctx.kernels.run('bench.empty', undefined, { backend: 'js' });
          ms.push(performance.now() - t0);
        }
        ctx.reply(ms);
        return;
      }
      case 'var': {
        const returns = sharedArray(Float64Array, msg.t * msg.n);
        for (let i = 0; i < returns.length; i++) returns[i] = Math.sin(i * 12.9898) * 0.02;
        const weights = sharedArray(Float64Array, msg.n).fill(1 / msg.n);
        Object.assign(state, { left: msg.calls, mode: msg.mode, backend: msg.backend, input: { returns, t: msg.t, n: msg.n, weights, confidence: [0.99] }, finishedAt: 0 });
        ctx.send(ctx.self, { type: 'next' });
        return;
      }
      case 'next':
        // One VaR per message, so pings queued meanwhile are handled between two of them.
        if (state.mode === 'inline') {
          await varHistorical.js(state.input, contextFor('var.historical', 'js', jsCores));
          ctx.send(ctx.self, { type: 'done' });
        } else {
          ctx.pipeToSelf(ctx.kernels.run('var.historical', state.input, { backend: state.backend }), () => ({ type: 'done' }));
        }
        return;
      case 'done':
        if (--state.left > 0) ctx.send(ctx.self, { type: 'next' });
        else state.finishedAt = performance.now();
        return;
      case 'ping':
        ctx.reply(0);
        return;
      case 'status?':
        ctx.reply(state.left);
        return;
    }
  },
});
