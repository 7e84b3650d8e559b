// VPIN: volume-synchronised probability of informed trading. Fills equal-volume buckets per
// symbol with buy and sell volume; publishes the rolling order imbalance on vpin.<SYM>.
import { defineActor, type ViewOf } from 'dualbus';
import { SYMBOLS, Tick } from '../records.js';

const BUCKET_VOLUME = 5_000;
const WINDOW = 50;

interface Book { buy: number; sell: number; imbalances: number[] }

export default defineActor<ViewOf<typeof Tick>, never, Book[]>({
  subscribe: ['md.*'],
  init: () => SYMBOLS.map(() => ({ buy: 0, sell: 0, imbalances: [] })),
  receive(books, tick, ctx) {
    const b = books[tick.sym]!;
    if (tick.side > 0) b.buy += tick.qty;
    else b.sell += tick.qty;
    if (b.buy + b.sell < BUCKET_VOLUME) return;
    b.imbalances.push(Math.abs(b.buy - b.sell) / (b.buy + b.sell));
    if (b.imbalances.length > WINDOW) b.imbalances.shift();
    b.buy = b.sell = 0;
    const vpin = b.imbalances.reduce((x, y) => x + y, 0) / b.imbalances.length;
    ctx.publish(`vpin.${SYMBOLS[tick.sym]}`, { sym: SYMBOLS[tick.sym], vpin });
  },
});
