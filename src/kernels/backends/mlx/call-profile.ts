import type { CoreName } from '../../cores.js';
import type { AcceleratorProfile } from '../accelerator.js';
import { emptyProfile } from '../accelerator.js';

export type Phase = 'uploadMs' | 'computeMs' | 'downloadMs';

/**
 * Where the time of the backend's device calls since the last read went. MLX is lazy, so the
 * phases are cut where work really happens: upload is building the JS lists and the MLX arrays
 * from them (core.array copies at once), compute is building the graph and core.eval, download is
 * tolist and the copy into `out`. A call of several chunks adds up its chunks; a kernel of several
 * core calls (an MLP's layers) adds up its calls.
 */
export class CallProfiler {
  private calls: AcceleratorProfile[] = [];

  begin(core: CoreName): AcceleratorProfile {
    const profile = { core, uploadMs: 0, computeMs: 0, downloadMs: 0 };
    this.calls.push(profile);
    return profile;
  }

  /** The calls since the last take, added up (then counted afresh). */
  take(): AcceleratorProfile {
    const total = emptyProfile();
    for (const call of this.calls) {
      total.core = call.core;
      total.uploadMs += call.uploadMs;
      total.computeMs += call.computeMs;
      total.downloadMs += call.downloadMs;
    }
    this.calls = [];
    return total;
  }
}

/** Runs `work`, adding its duration to `profile[phase]`. */
export function timed<T>(profile: AcceleratorProfile, phase: Phase, work: () => T): T {
  const started = performance.now();
  try {
    return work();
  } finally {
    profile[phase] += performance.now() - started;
  }
}
