import { enqueueActions, setup } from 'xstate';
import { backoffDelay } from './backoff.js';
import { recordRestart } from './intensity.js';
import type { BackoffOptions, RestartType, Strategy, SupervisorSpec } from './spec.js';

/**
 * A supervisor's decisions, OTP style. The runtime reports what happened to the children
 * (CHILD_STARTED, CHILD_EXITED) and carries out what this machine emits:
 *
 * - `restart`: stop `stop` (in that order), forget `remove` (the group's temporary children: stopped
 *   with it, never restarted), wait `delayMs`, start `start` (in that order);
 * - `remove`: the child is not restarted (temporary, a transient that ended normally, a stop directive);
 * - `escalate`: restarting does not help (intensity exceeded, or a child's escalate directive):
 *   stop every child, then fail to the parent supervisor (at the root: the system stops).
 *
 * Children can be added and removed while it runs (ADD_CHILD, REMOVE_CHILD: `system.spawn` and
 * `system.stop`). STOP ends supervision: exits are no longer acted on while the runtime stops
 * the children, and ALL_STOPPED completes it.
 *
 * It holds no worker and does no I/O: times come with the events, randomness from the input.
 */

/** Why a child ended: a crash (exception, non-zero exit, memory, hang, a receive that threw with
 * the restart directive), a normal exit (code 0 without being asked), or a receive directive. */
export type ExitCause = 'crash' | 'normal' | 'directive-stop' | 'directive-escalate';

interface ChildEntry {
  name: string;
  restart: RestartType;
  backoff: BackoffOptions;
  /** Restarts since its last run that lasted at least periodMs: drives the backoff. */
  attempts: number;
  lastStartAt: number;
  status: 'down' | 'running' | 'removed';
}

export interface SupervisorContext {
  name: string;
  path: string;
  strategy: Strategy;
  intensity: number;
  periodMs: number;
  children: ChildEntry[];
  restartTimes: number[];
  random: () => number;
  failure: { child: string; reason: string; failures: number } | undefined;
}

export type SupervisorEvent =
  | { type: 'CHILD_STARTED'; name: string; at: number }
  | { type: 'CHILD_EXITED'; name: string; cause: ExitCause; reason: string; at: number }
  | { type: 'ADD_CHILD'; name: string; restart: RestartType; backoff: BackoffOptions }
  | { type: 'REMOVE_CHILD'; name: string }
  | { type: 'STOP' }
  | { type: 'ALL_STOPPED' };

export type SupervisorCommand =
  | { type: 'restart'; child: string; stop: string[]; remove: string[]; start: string[]; delayMs: number; attempt: number; reason: string }
  | { type: 'remove'; child: string; reason: string }
  | { type: 'escalate'; child: string; reason: string; failures: number; periodMs: number };

export interface SupervisorInput {
  spec: SupervisorSpec;
  path: string;
  /** Restart types and backoff per child, by name (supervisor children are permanent). */
  childPolicy: (name: string) => { restart: RestartType; backoff: BackoffOptions };
  random?: () => number;
}

type Decision =
  | { kind: 'ignore' }
  | { kind: 'remove'; reason: string }
  | { kind: 'escalate'; reason: string; failures: number }
  | { kind: 'restart'; command: Extract<SupervisorCommand, { type: 'restart' }>; restartTimes: number[]; children: ChildEntry[] };

/** What to do about a child that exited: pure. */
export function decide(ctx: SupervisorContext, e: Extract<SupervisorEvent, { type: 'CHILD_EXITED' }>): Decision {
  const entry = ctx.children.find((c) => c.name === e.name);
  if (entry === undefined || entry.status === 'removed') return { kind: 'ignore' };
  if (e.cause === 'directive-escalate') return { kind: 'escalate', reason: `'${e.name}' escalated: ${e.reason}`, failures: ctx.restartTimes.length };
  const restart =
    e.cause === 'directive-stop' ? false : entry.restart === 'permanent' ? true : entry.restart === 'transient' ? e.cause === 'crash' : false;
  if (!restart) return { kind: 'remove', reason: e.reason };
  const window = recordRestart(ctx.restartTimes, e.at, ctx.intensity, ctx.periodMs);
  if (window.exceeded) {
    return {
      kind: 'escalate',
      reason: `${window.times.length} restarts within ${ctx.periodMs} ms (intensity ${ctx.intensity}); last: '${e.name}': ${e.reason}`,
      failures: window.times.length,
    };
  }
  const live = ctx.children.filter((c) => c.status !== 'removed');
  const at = live.indexOf(entry);
  const group = ctx.strategy === 'one_for_one' ? [entry] : ctx.strategy === 'one_for_all' ? live : live.slice(at);
  const stop = group.filter((c) => c !== entry && c.status === 'running').map((c) => c.name).reverse();
  // A temporary sibling in the group is stopped with it and forgotten, never restarted (OTP's
  // terminate_children removes it; transient and permanent siblings are kept and restarted).
  const removed = group.filter((c) => c !== entry && c.restart === 'temporary');
  const restarted = group.filter((c) => !removed.includes(c));
  const attempt = e.at - entry.lastStartAt >= ctx.periodMs ? 1 : entry.attempts + 1;
  const delayMs = backoffDelay(attempt, entry.backoff, ctx.random);
  const children = ctx.children.map((c) =>
    c === entry
      ? { ...c, attempts: attempt, status: 'down' as const }
      : removed.includes(c)
        ? { ...c, status: 'removed' as const }
        : group.includes(c)
          ? { ...c, status: 'down' as const }
          : c,
  );
  return {
    kind: 'restart',
    command: {
      type: 'restart',
      child: e.name,
      stop,
      remove: removed.map((c) => c.name),
      start: restarted.map((c) => c.name),
      delayMs,
      attempt,
      reason: e.reason,
    },
    restartTimes: window.times,
    children,
  };
}

export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    events: {} as SupervisorEvent,
    input: {} as SupervisorInput,
    emitted: {} as SupervisorCommand,
  },
  guards: {
    escalates: ({ context, event }) => event.type === 'CHILD_EXITED' && decide(context, event).kind === 'escalate',
  },
  actions: {
    decideOnExit: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'CHILD_EXITED') return;
      const d = decide(context, event);
      if (d.kind === 'remove') {
        enqueue.assign({ children: context.children.map((c) => (c.name === event.name ? { ...c, status: 'removed' as const } : c)) });
        enqueue.emit({ type: 'remove', child: event.name, reason: d.reason });
      } else if (d.kind === 'restart') {
        enqueue.assign({ children: d.children, restartTimes: d.restartTimes });
        enqueue.emit(d.command);
      }
    }),
    escalate: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'CHILD_EXITED') return;
      const d = decide(context, event) as Extract<Decision, { kind: 'escalate' }>;
      enqueue.assign({ failure: { child: event.name, reason: d.reason, failures: d.failures } });
      enqueue.emit({ type: 'escalate', child: event.name, reason: d.reason, failures: d.failures, periodMs: context.periodMs });
    }),
  },
}).createMachine({
  id: 'supervisor',
  context: ({ input }) => ({
    name: input.spec.name,
    path: input.path,
    strategy: input.spec.strategy,
    intensity: input.spec.intensity,
    periodMs: input.spec.periodMs,
    children: input.spec.children.map((c) => ({ name: c.name, ...input.childPolicy(c.name), attempts: 0, lastStartAt: 0, status: 'down' as const })),
    restartTimes: [],
    random: input.random ?? Math.random,
    failure: undefined,
  }),
  initial: 'supervising',
  states: {
    supervising: {
      on: {
        CHILD_STARTED: {
          actions: enqueueActions(({ context, event, enqueue }) => {
            enqueue.assign({
              children: context.children.map((c) => (c.name === event.name ? { ...c, status: 'running' as const, lastStartAt: event.at } : c)),
            });
          }),
        },
        CHILD_EXITED: [{ guard: 'escalates', target: 'failed', actions: 'escalate' }, { actions: 'decideOnExit' }],
        ADD_CHILD: {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const entry: ChildEntry = { name: event.name, restart: event.restart, backoff: event.backoff, attempts: 0, lastStartAt: 0, status: 'down' };
            enqueue.assign({ children: [...context.children.filter((c) => c.name !== event.name), entry] });
          }),
        },
        REMOVE_CHILD: {
          actions: enqueueActions(({ context, event, enqueue }) => {
            enqueue.assign({ children: context.children.filter((c) => c.name !== event.name) });
          }),
        },
        STOP: 'stopping',
      },
    },
    stopping: { on: { ALL_STOPPED: 'stopped' } },
    stopped: { type: 'final' },
    failed: { type: 'final' },
  },
});
