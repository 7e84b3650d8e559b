// One decoder's inputs [from, to) in a process of their own, started by run.ts: a crash (a native
// addon taking the process down) or a hang (an input that never finishes) ends this process, not
// the run. Reports its progress, counts and failures over IPC as it goes.
import { Campaign, type FuzzCounts, type FuzzFailure } from './campaign.js';
import { TARGETS } from './targets/index.js';

/** What run.ts asks of this process. */
export interface SegmentRequest {
  decoder: string;
  seed: number;
  from: number;
  to: number;
  /** Report after every this many inputs (1 when looking for the input that crashed or hung). */
  progressEvery: number;
}

/** What this process reports: how far it got, its counts so far, the failures found since the last report. */
export type SegmentReport =
  | { type: 'ready' }
  | { type: 'progress'; done: number; counts: FuzzCounts; failures: FuzzFailure[] }
  | { type: 'finished'; done: number; counts: FuzzCounts; failures: FuzzFailure[]; runMs: number };

const send = (report: SegmentReport): void => void process.send!(report);

process.once('message', (request: SegmentRequest) => {
  const target = TARGETS[request.decoder];
  if (target === undefined) throw new Error(`no decoder named '${request.decoder}'`);
  const campaign = new Campaign(target, request.seed);
  send({ type: 'ready' });
  const failures: FuzzFailure[] = [];
  let reported = 0;
  const newFailures = (): FuzzFailure[] => failures.slice(reported, (reported = failures.length));
  const started = performance.now();
  const counts = campaign.run(request.from, request.to, failures, (done, soFar) => send({ type: 'progress', done, counts: soFar, failures: newFailures() }), request.progressEvery);
  process.send!({ type: 'finished', done: request.to, counts, failures: newFailures(), runMs: performance.now() - started } satisfies SegmentReport, () => process.exit(0));
});
