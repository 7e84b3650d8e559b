// host-b: market data from host-a (loss allowed and counted): one byte per message received, to a file.
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { defineActor } from 'dualbus';

const ONE = Buffer.from([1]);

export default defineActor<unknown, never, { fd: number }>({
  subscribe: ['md.*'],
  init: () => ({ fd: openSync(join(process.env.SOAK_DIR!, 'quotes.bin'), 'a') }),
  receive(state) {
    writeSync(state.fd, ONE);
  },
  stop: (state) => closeSync(state.fd),
});
