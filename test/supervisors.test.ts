import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../supervisors/backoff.js';
import { availability, childMachine } from '../supervisors/child-machine.js';
import { recordRestart } from '../supervisors/intensity.js';
import { childSpec, supervisor, TreeSpecError, type RestartType, type Strategy } from '../supervisors/spec.js';
import { supervisorMachine, type ExitCause, type SupervisorCommand } from '../supervisors/supervisor-machine.js';

const BACKOFF = { minMs: 10, maxMs: 1000, jitter: 0 };

function runSupervisor(strategy: Strategy, restart: Record<string, RestartType> = {}, limits = { intensity: 10, periodMs: 1000 }, names = ['a', 'b', 'c']) {
  const spec = supervisor({ name: 's', strategy, ...limits, children: names.map((n) => childSpec(n, 'file:///x.js', { restart: restart[n] ?? 'permanent' }, {})) });
  const actor = createActor(supervisorMachine, {
    input: { spec, path: 's', childPolicy: (n) => ({ restart: restart[n] ?? 'permanent', backoff: BACKOFF }), random: () => 0 },
  });
  const commands: SupervisorCommand[] = [];
  actor.on('*', (c) => commands.push(c));
  actor.start();
  for (const n of names) actor.send({ type: 'CHILD_STARTED', name: n, at: 0 });
  const exit = (name: string, cause: ExitCause = 'crash', at = 10): void => actor.send({ type: 'CHILD_EXITED', name, cause, reason: 'boom', at });
  return { actor, commands, exit };
}

describe('supervisor strategies', () => {
  it('one_for_one restarts only the failed child', () => {
    const { commands, exit } = runSupervisor('one_for_one');
    exit('b');
    expect(commands).toEqual([{ type: 'restart', child: 'b', stop: [], remove: [], start: ['b'], delayMs: 10, attempt: 1, reason: 'boom' }]);
  });

  it('one_for_all stops the other children in reverse start order and restarts all in start order', () => {
    const { commands, exit } = runSupervisor('one_for_all');
    exit('b');
    expect(commands).toMatchObject([{ type: 'restart', child: 'b', stop: ['c', 'a'], start: ['a', 'b', 'c'] }]);
  });

  it('rest_for_one restarts the failed child and those started after it', () => {
    const { commands, exit } = runSupervisor('rest_for_one');
    exit('a');
    expect(commands).toMatchObject([{ type: 'restart', child: 'a', stop: ['c', 'b'], start: ['a', 'b', 'c'] }]);
    commands.length = 0;
    const second = runSupervisor('rest_for_one');
    second.exit('c');
    expect(second.commands).toMatchObject([{ type: 'restart', stop: [], start: ['c'] }]);
  });
});

describe('restart types', () => {
  it('permanent restarts after a crash and after a normal exit', () => {
    const { commands, exit } = runSupervisor('one_for_one');
    exit('a', 'crash');
    exit('b', 'normal');
    expect(commands.map((c) => [c.type, 'child' in c ? c.child : ''])).toEqual([['restart', 'a'], ['restart', 'b']]);
  });

  it('transient restarts after a crash, not after a normal exit', () => {
    const { commands, exit } = runSupervisor('one_for_one', { a: 'transient', b: 'transient' });
    exit('a', 'crash');
    exit('b', 'normal');
    expect(commands.map((c) => c.type)).toEqual(['restart', 'remove']);
  });

  it('temporary is never restarted, and a removed child is left out of later group restarts', () => {
    const { commands, exit } = runSupervisor('one_for_all', { b: 'temporary' });
    exit('b', 'crash');
    exit('a', 'crash', 20);
    expect(commands).toMatchObject([{ type: 'remove', child: 'b' }, { type: 'restart', child: 'a', stop: ['c'], start: ['a', 'c'] }]);
  });

  it('one_for_all: a temporary bystander of a permanent sibling\'s crash is stopped with the group and removed, not restarted', () => {
    const { commands, exit, actor } = runSupervisor('one_for_all', { t: 'temporary' }, undefined, ['a', 't', 'p', 'c']);
    exit('p', 'crash');
    expect(commands).toEqual([
      { type: 'restart', child: 'p', stop: ['c', 't', 'a'], remove: ['t'], start: ['a', 'p', 'c'], delayMs: 10, attempt: 1, reason: 'boom' },
    ]);
    for (const n of ['a', 'p', 'c']) actor.send({ type: 'CHILD_STARTED', name: n, at: 15 });
    // Gone for good: its own exit is no longer acted on, and the next group restart leaves it out.
    exit('t', 'crash', 20);
    exit('a', 'crash', 30);
    expect(commands.slice(1)).toMatchObject([{ type: 'restart', child: 'a', stop: ['c', 'p'], remove: [], start: ['a', 'p', 'c'] }]);
  });

  it('rest_for_one: a temporary after the crashed child is stopped and removed, one before it is untouched', () => {
    const { commands, exit, actor } = runSupervisor('rest_for_one', { t0: 'temporary', t: 'temporary' }, undefined, ['t0', 'a', 'p', 't', 'c']);
    exit('p', 'crash');
    expect(commands).toEqual([
      { type: 'restart', child: 'p', stop: ['c', 't'], remove: ['t'], start: ['p', 'c'], delayMs: 10, attempt: 1, reason: 'boom' },
    ]);
    const status = Object.fromEntries(actor.getSnapshot().context.children.map((c) => [c.name, c.status]));
    expect(status).toEqual({ t0: 'running', a: 'running', p: 'down', t: 'removed', c: 'down' });
    // The temporary before it is still supervised as one: its crash removes it, restarting nothing.
    exit('t0', 'crash', 20);
    expect(commands.slice(1)).toEqual([{ type: 'remove', child: 't0', reason: 'boom' }]);
  });

  it('a transient bystander is stopped and restarted with the group, whatever the strategy that takes it', () => {
    for (const strategy of ['one_for_all', 'rest_for_one'] as const) {
      const { commands, exit } = runSupervisor(strategy, { b: 'transient', c: 'transient' });
      exit('a', 'crash');
      expect(commands).toMatchObject([{ type: 'restart', child: 'a', stop: ['c', 'b'], remove: [], start: ['a', 'b', 'c'] }]);
    }
  });

  it('a child that will not be restarted restarts no sibling: temporary after any exit, transient after a normal one', () => {
    for (const strategy of ['one_for_all', 'rest_for_one'] as const) {
      const { commands, exit } = runSupervisor(strategy, { a: 'temporary', b: 'transient' });
      exit('a', 'crash');
      exit('b', 'normal', 20);
      expect(commands).toEqual([
        { type: 'remove', child: 'a', reason: 'boom' },
        { type: 'remove', child: 'b', reason: 'boom' },
      ]);
    }
  });

  it('the stop directive removes even a permanent child; escalate fails the supervisor', () => {
    const stop = runSupervisor('one_for_one');
    stop.exit('a', 'directive-stop');
    expect(stop.commands).toMatchObject([{ type: 'remove', child: 'a' }]);
    const esc = runSupervisor('one_for_one');
    esc.exit('a', 'directive-escalate');
    expect(esc.commands).toMatchObject([{ type: 'escalate', child: 'a' }]);
    expect(esc.actor.getSnapshot().value).toBe('failed');
  });
});

describe('restart intensity', () => {
  it('more than `intensity` restarts within periodMs escalates, naming the child and the count', () => {
    const { actor, commands, exit } = runSupervisor('one_for_one', {}, { intensity: 2, periodMs: 1000 });
    exit('a', 'crash', 100);
    exit('a', 'crash', 200);
    expect(actor.getSnapshot().value).toBe('supervising');
    exit('b', 'crash', 300);
    expect(commands.at(-1)).toMatchObject({ type: 'escalate', child: 'b', failures: 3 });
    expect((commands.at(-1) as { reason: string }).reason).toMatch(/3 restarts within 1000 ms \(intensity 2\); last: 'b': boom/);
    expect(actor.getSnapshot().value).toBe('failed');
    expect(actor.getSnapshot().status).toBe('done');
  });

  it('restarts older than periodMs no longer count', () => {
    const { actor, exit } = runSupervisor('one_for_one', {}, { intensity: 2, periodMs: 1000 });
    exit('a', 'crash', 100);
    exit('a', 'crash', 200);
    exit('a', 'crash', 1150); // the one at 100 has left the window
    expect(actor.getSnapshot().value).toBe('supervising');
    expect(recordRestart([100, 200], 1150, 2, 1000)).toEqual({ times: [200, 1150], exceeded: false });
  });
});

describe('restart backoff', () => {
  it('grows exponentially from minMs, never leaves [minMs, maxMs], and jitter only shortens', () => {
    const o = { minMs: 5, maxMs: 300, jitter: 0.5 };
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, o, () => 0))).toEqual([5, 10, 20, 40]);
    expect(backoffDelay(20, o, () => 0)).toBe(300);
    for (let n = 1; n < 40; n++) {
      for (const r of [0, 0.3, 0.999]) {
        const d = backoffDelay(n, o, () => r);
        expect(d).toBeGreaterThanOrEqual(5);
        expect(d).toBeLessThanOrEqual(300);
        expect(d).toBeGreaterThanOrEqual(backoffDelay(n, o, () => 0) * 0.5 - 1e-9);
      }
    }
  });

  it('consecutive failures of one child wait longer each time; a stable run resets the count', () => {
    const { commands, exit, actor } = runSupervisor('one_for_one', {}, { intensity: 100, periodMs: 1000 });
    exit('a', 'crash', 10);
    actor.send({ type: 'CHILD_STARTED', name: 'a', at: 20 });
    exit('a', 'crash', 30);
    actor.send({ type: 'CHILD_STARTED', name: 'a', at: 60 });
    exit('a', 'crash', 80);
    actor.send({ type: 'CHILD_STARTED', name: 'a', at: 200 });
    exit('a', 'crash', 5000); // ran for 4.8 s: stable
    expect(commands.map((c) => (c as { delayMs: number }).delayMs)).toEqual([10, 20, 40, 10]);
  });
});

describe('the child lifecycle machine', () => {
  it('walks starting, running, failed, restarting and back, and keeps availability figures', () => {
    const c = createActor(childMachine, { input: { name: 'md', path: 'root/md' } }).start();
    c.send({ type: 'STARTED', at: 0 });
    expect(c.getSnapshot().value).toBe('running');
    c.send({ type: 'FAILED', at: 900, reason: 'boom' });
    expect(c.getSnapshot().value).toBe('failed');
    c.send({ type: 'RESTART', delayMs: 50 });
    expect(c.getSnapshot().value).toBe('restarting');
    c.send({ type: 'START' });
    c.send({ type: 'STARTED', at: 1000 });
    const ctx = c.getSnapshot().context;
    expect(ctx).toMatchObject({ restarts: 1, recoveries: 1, lastDowntimeMs: 100, lastReason: "boom", delayMs: 50 });
    expect(availability(ctx, 2000)).toEqual({ uptimeMs: 1000, uptimePct: 95, mttrMs: 100 });
    c.send({ type: 'STOP' });
    c.send({ type: 'STOPPED', at: 2000 });
    expect(c.getSnapshot().value).toBe('stopped');
  });
});

describe('tree specs', () => {
  it('reject what cannot run, naming the part that is wrong', () => {
    expect(() => supervisor({ strategy: 'all_for_none' as Strategy, children: [] })).toThrow(/strategy must be one of/);
    expect(() => supervisor({ intensity: -1, children: [] })).toThrow(/intensity must be an integer >= 0; got -1/);
    const a = childSpec('a', 'file:///a.js', undefined, {});
    expect(() => supervisor({ name: 'top', children: [a, a] })).toThrow(/supervisor 'top': two children are named 'a'/);
    expect(() => childSpec('a', 'file:///a.js', { restart: 'sometimes' as RestartType }, {})).toThrow(TreeSpecError);
    expect(() => childSpec('a/b', 'file:///a.js', undefined, {})).toThrow(/without '\/'/);
    expect(() => childSpec('a', 'file:///a.js', { backoff: { minMs: 10, maxMs: 5, jitter: 0 } }, {})).toThrow(/minMs <= maxMs/);
  });
});
