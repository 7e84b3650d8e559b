import { assign, setup } from 'xstate';

/**
 * One supervised child's lifecycle, as its supervisor's runtime reports it:
 *
 *   starting --STARTED--> running --FAILED--> failed --RESTART--> restarting --START--> starting
 *   running/starting --STOP--> stopping --STOPPED--> stopped --RESTART--> restarting
 *
 * It decides nothing (the supervisor machine does) and holds no worker: it is the record the
 * runtime's logs, stats and `dualbus top` read: state, restarts, uptime, time to recover.
 * Times are milliseconds on one clock, passed in with each event.
 */
export interface ChildLifecycle {
  name: string;
  path: string;
  /** Restarts that succeeded (the actor ran again after being down). */
  restarts: number;
  /** When the current run began (running only). */
  runningSince: number | undefined;
  firstStartedAt: number | undefined;
  /** Time spent running in runs that ended. */
  upMs: number;
  /** Since when it has been down (failed, restarting, stopped); undefined while running. */
  downSince: number | undefined;
  /** Recoveries (a start that ended a down time) and their total duration. */
  recoveries: number;
  recoveryMsTotal: number;
  lastDowntimeMs: number | undefined;
  lastReason: string | undefined;
  /** The backoff the current restart waits. */
  delayMs: number;
}

export type ChildLifecycleEvent =
  | { type: 'STARTED'; at: number }
  | { type: 'FAILED'; at: number; reason: string }
  | { type: 'RESTART'; delayMs: number }
  | { type: 'START' }
  | { type: 'STOP' }
  | { type: 'STOPPED'; at: number };

export const childMachine = setup({
  types: {
    context: {} as ChildLifecycle,
    events: {} as ChildLifecycleEvent,
    input: {} as { name: string; path: string },
  },
  actions: {
    markUp: assign(({ context, event }) => {
      const at = (event as { at: number }).at;
      const recovered = context.downSince !== undefined;
      const downtime = recovered ? at - context.downSince! : undefined;
      return {
        runningSince: at,
        firstStartedAt: context.firstStartedAt ?? at,
        downSince: undefined,
        // A restart counts once it succeeded: a start that fails again is part of the same outage.
        restarts: context.restarts + (recovered ? 1 : 0),
        recoveries: context.recoveries + (recovered ? 1 : 0),
        recoveryMsTotal: context.recoveryMsTotal + (downtime ?? 0),
        lastDowntimeMs: downtime ?? context.lastDowntimeMs,
      };
    }),
    markDown: assign(({ context, event }) => {
      const e = event as { at: number; reason?: string };
      return {
        upMs: context.upMs + (context.runningSince !== undefined ? e.at - context.runningSince : 0),
        runningSince: undefined,
        downSince: context.downSince ?? e.at,
        ...(e.reason !== undefined ? { lastReason: e.reason } : {}),
      };
    }),
  },
}).createMachine({
  id: 'child',
  context: ({ input }) => ({
    name: input.name,
    path: input.path,
    restarts: 0,
    runningSince: undefined,
    firstStartedAt: undefined,
    upMs: 0,
    downSince: undefined,
    recoveries: 0,
    recoveryMsTotal: 0,
    lastDowntimeMs: undefined,
    lastReason: undefined,
    delayMs: 0,
  }),
  initial: 'starting',
  states: {
    starting: {
      on: {
        STARTED: { target: 'running', actions: 'markUp' },
        FAILED: { target: 'failed', actions: 'markDown' },
        STOP: 'stopping',
      },
    },
    running: {
      on: {
        FAILED: { target: 'failed', actions: 'markDown' },
        STOP: 'stopping',
      },
    },
    failed: {
      on: {
        RESTART: { target: 'restarting', actions: assign({ delayMs: ({ event }) => event.delayMs }) },
        STOPPED: { target: 'stopped', actions: 'markDown' },
      },
    },
    restarting: {
      on: {
        START: 'starting',
        STOPPED: { target: 'stopped', actions: 'markDown' },
      },
    },
    stopping: {
      on: {
        STOPPED: { target: 'stopped', actions: 'markDown' },
        FAILED: { target: 'stopped', actions: 'markDown' }, // it died while stopping: stopped all the same
      },
    },
    stopped: {
      on: {
        RESTART: { target: 'restarting', actions: assign({ delayMs: ({ event }) => event.delayMs }) },
      },
    },
  },
});

export type ChildState = 'starting' | 'running' | 'failed' | 'restarting' | 'stopping' | 'stopped';

/** Availability figures of a child at time `now`. */
export function availability(c: ChildLifecycle, now: number): { uptimeMs: number; uptimePct: number; mttrMs: number | undefined } {
  const up = c.upMs + (c.runningSince !== undefined ? now - c.runningSince : 0);
  const life = c.firstStartedAt === undefined ? 0 : now - c.firstStartedAt;
  return {
    uptimeMs: c.runningSince !== undefined ? now - c.runningSince : 0,
    uptimePct: life > 0 ? Math.min(100, (100 * up) / life) : c.runningSince !== undefined ? 100 : 0,
    mttrMs: c.recoveries > 0 ? c.recoveryMsTotal / c.recoveries : undefined,
  };
}
