import type { CoreName } from '../../cores.js';
import type { AcceleratorProfile } from '../accelerator.js';
import { emptyProfile } from '../accelerator.js';

export type Phase = 'uploadMs' | 'computeMs' | 'downloadMs';

/**
 * Where the time of the backend's last device call went. MLX is lazy, so the phases are cut where
 * work really happens: upload is building the JS lists and the MLX arrays from them (core.array
 * copies at once), compute is building the graph and core.eval, download is tolist and the copy
 * into `out`. A call of several chunks adds up its chunks.
 */
export class CallProfiler {
  private last: AcceleratorProfile = emptyProfile();

  begin(core: CoreName): AcceleratorProfile {
    this.last = { core, uploadMs: 0, computeMs: 0, downloadMs: 0 };
    return this.last;
  }

  latest(): AcceleratorProfile {
    return { ...this.last };
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
