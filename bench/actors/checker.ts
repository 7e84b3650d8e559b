// The end of the crash-drill chain (never crashed): counts every (producer, seq) it receives, so the
// host can tell lost, duplicated and reordered messages apart.
import { defineActor, type ViewOf } from 'dualbus';
// A value import: defining the layout here is what lets this worker read Seq records.
import { Seq } from '../chain-records.js';

interface Track {
  counts: Uint8Array;
  /** The highest seq received so far: a new seq below it is a reordering. */
  highest: number;
  reordered: number;
}

export default defineActor<ViewOf<typeof Seq> | { type: 'report?'; perProducer: number; producers: number }>({
  init() {
    void Seq; // (the import above registers the layout)
    return { tracks: new Map<number, Track>(), received: 0 };
  },
  receive(state, msg, ctx) {
    if ('type' in msg) {
      const report = [];
      for (let p = 0; p < msg.producers; p++) {
        const t = state.tracks.get(p);
        let lost = 0;
        let duplicates = 0;
        for (let i = 0; i < msg.perProducer; i++) {
          const c = t?.counts[i] ?? 0;
          if (c === 0) lost++;
          else duplicates += c - 1;
        }
        report.push({ producer: p, lost, duplicates, reordered: t?.reordered ?? 0 });
      }
      ctx.reply({ received: state.received, producers: report });
      return;
    }
    state.received++;
    let t = state.tracks.get(msg.producer);
    if (t === undefined) state.tracks.set(msg.producer, (t = { counts: new Uint8Array(2_000_000), highest: -1, reordered: 0 }));
    const seq = msg.seq;
    // A first sighting below the highest seq already seen arrived out of order.
    if (t.counts[seq] === 0 && seq < t.highest) t.reordered++;
    if (t.counts[seq]! < 255) t.counts[seq]!++;
    if (seq > t.highest) t.highest = seq;
  },
});
