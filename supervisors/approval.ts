import { decide, type SupervisorContext } from './supervisor-machine.js';

/**
 * Whether the supervisor would answer a crash of running child `name` right now by restarting it
 * at once and alone: a `restart` decision whose group is the child only, with nothing to stop first and no
 * backoff delay (its backoff.minMs is 0), within the restart intensity. The runtime may then let
 * the child's worker restart it without asking (one round trip less) and report after: the
 * machine still hears of the crash, counts it, and decides; the approval only says what it would
 * decide. Pure; the jitter draw does not matter (a delay is 0 only when minMs is 0) and is fixed so
 * that asking consumes no randomness.
 *
 * An approval stays true until the supervisor's context changes: a restart time can only leave the
 * intensity window as time passes, the other inputs change only with events. So the runtime takes
 * approvals back before each event and asks again after it.
 */
export function approvesInstantRestart(ctx: SupervisorContext, name: string, at: number): boolean {
  // A child being restarted (its group's restart under way) is the supervisor's business already.
  if (ctx.children.find((c) => c.name === name)?.status !== 'running') return false;
  const d = decide({ ...ctx, random: () => 0 }, { type: 'CHILD_EXITED', name, cause: 'crash', reason: '', at });
  return d.kind === 'restart' && d.command.delayMs === 0 && d.command.stop.length === 0 && d.command.start.length === 1 && d.command.start[0] === name;
}
