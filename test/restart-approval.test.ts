import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { approvesInstantRestart } from '../supervisors/approval.js';
import { childSpec, supervisor, type BackoffOptions, type RestartType, type Strategy } from '../supervisors/spec.js';
import { supervisorMachine, type SupervisorCommand } from '../supervisors/supervisor-machine.js';

const NOW: BackoffOptions = { minMs: 0, maxMs: 0, jitter: 0 };

/** A supervisor machine with children a, b, c (or those given), all running. */
function machine(options: { strategy?: Strategy; names?: string[]; restart?: RestartType; backoff?: BackoffOptions; intensity?: number } = {}) {
  const names = options.names ?? ['a', 'b', 'c'];
  const spec = supervisor({ name: 's', strategy: options.strategy ?? 'one_for_one', intensity: options.intensity ?? 3, periodMs: 1000, children: names.map((n) => childSpec(n, 'file:///x.js', {}, {})) });
  const actor = createActor(supervisorMachine, { input: { spec, path: 's', childPolicy: () => ({ restart: options.restart ?? 'permanent', backoff: options.backoff ?? NOW }) } });
  const commands: SupervisorCommand[] = [];
  actor.on('*', (c) => commands.push(c));
  actor.start();
  for (const n of names) actor.send({ type: 'CHILD_STARTED', name: n, at: 0 });
  const approves = (name: string, at = 10) => approvesInstantRestart(actor.getSnapshot().context, name, at);
  return { actor, commands, approves };
}

describe('a restart approved ahead of time is the one the supervisor would decide', () => {
  it('one_for_one, no backoff, within the intensity: approved, and the crash then gets exactly that decision', () => {
    const { actor, commands, approves } = machine();
    expect(approves('b')).toBe(true);
    actor.send({ type: 'CHILD_EXITED', name: 'b', cause: 'crash', reason: 'boom', at: 10 });
    expect(commands).toEqual([{ type: 'restart', child: 'b', stop: [], remove: [], start: ['b'], delayMs: 0, attempt: 1, reason: 'boom' }]);
  });

  it('not approved with a backoff delay, for a temporary child, or when the next restart would exceed the intensity', () => {
    expect(machine({ backoff: { minMs: 1, maxMs: 10, jitter: 0 } }).approves('a')).toBe(false);
    expect(machine({ restart: 'temporary' }).approves('a')).toBe(false);
    expect(machine({ restart: 'transient' }).approves('a')).toBe(true); // an own-code failure is a crash
    const { actor, approves } = machine({ intensity: 2 });
    for (const at of [1, 2]) actor.send({ type: 'CHILD_EXITED', name: 'a', cause: 'crash', reason: 'boom', at });
    expect(approves('b', 3)).toBe(false); // a third restart within the period would escalate
    expect(approves('b', 1002)).toBe(true); // once the first has left the window
  });

  it('not approved when the restart would take siblings with it: one_for_all, rest_for_one but for the last child', () => {
    expect(machine({ strategy: 'one_for_all' }).approves('b')).toBe(false);
    expect(machine({ strategy: 'one_for_all', names: ['only'] }).approves('only')).toBe(true);
    const rest = machine({ strategy: 'rest_for_one' });
    expect(rest.approves('a')).toBe(false);
    expect(rest.approves('c')).toBe(true);
  });

  it('not approved for a child whose restart is already under way (a group restart it is part of)', () => {
    const { actor, approves } = machine({ strategy: 'rest_for_one' });
    expect(approves('c')).toBe(true);
    actor.send({ type: 'CHILD_EXITED', name: 'a', cause: 'crash', reason: 'boom', at: 10 }); // restarts a, b and c
    expect(approves('c')).toBe(false);
    actor.send({ type: 'CHILD_STARTED', name: 'c', at: 11 });
    expect(approves('c', 12)).toBe(true);
  });

  it('asking consumes nothing: the machine decides as it would have', () => {
    const { actor, commands, approves } = machine({ backoff: { minMs: 10, maxMs: 100, jitter: 0.5 } });
    for (let i = 0; i < 5; i++) approves('a');
    expect(actor.getSnapshot().context.restartTimes).toEqual([]);
    actor.send({ type: 'CHILD_EXITED', name: 'a', cause: 'crash', reason: 'boom', at: 10 });
    expect(commands).toHaveLength(1);
  });
});
