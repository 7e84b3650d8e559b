/**
 * The declarative shape of a supervision tree: what `supervisor({...})` and `child(...)` build and
 * `system.start(tree)` runs. Policy only: names, strategies, restart types, limits. How a child's
 * worker is spawned (its module, its mailbox options) rides along untouched for the runtime.
 */

/** Which siblings restart with a failed child (Erlang/OTP semantics). */
export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one';
/** permanent: always restarted; transient: restarted after a failure, not after a normal exit;
 * temporary: never (a sibling's failure that stops it with its group removes it). */
export type RestartType = 'permanent' | 'transient' | 'temporary';
/** What a `receive` that throws does: restart the actor, skip the message (resume), stop it, or fail its supervisor. */
export type ErrorDirective = 'restart' | 'resume' | 'stop' | 'escalate';

export interface BackoffOptions {
  /** The delay before the first restart. */
  minMs: number;
  /** The longest delay, however many restarts came before. */
  maxMs: number;
  /** 0..1: the share of the delay drawn at random (0.2: each delay is 80% to 100% of its exponential value). */
  jitter: number;
}

export interface SupervisorOptions {
  /** Its name in paths and logs; unique among its siblings. */
  name?: string;
  strategy?: Strategy;
  /** More than `intensity` restarts within `periodMs` and the supervisor gives up (escalates). */
  intensity?: number;
  periodMs?: number;
  children: ReadonlyArray<ChildSpec | SupervisorSpec>;
}

export interface ChildPolicy {
  restart: RestartType;
  onError: ErrorDirective;
  backoff: BackoffOptions;
}

export interface ChildSpec<O = unknown> {
  readonly kind: 'child';
  readonly name: string;
  readonly moduleUrl: URL | string;
  readonly policy: ChildPolicy;
  /** Everything else the runtime needs to spawn it (wait strategy, mailbox sizes, limits...). */
  readonly options: O;
}

export interface SupervisorSpec {
  readonly kind: 'supervisor';
  readonly name: string;
  readonly strategy: Strategy;
  readonly intensity: number;
  readonly periodMs: number;
  readonly children: ReadonlyArray<ChildSpec | SupervisorSpec>;
}

export const SUPERVISOR_DEFAULTS = Object.freeze({
  name: 'root',
  strategy: 'one_for_one' as Strategy,
  intensity: 10,
  periodMs: 5_000,
});

export const CHILD_POLICY_DEFAULTS: Readonly<ChildPolicy> = Object.freeze({
  restart: 'permanent',
  onError: 'resume',
  backoff: Object.freeze({ minMs: 1, maxMs: 2_000, jitter: 0.2 }),
});

/** Thrown for a tree that cannot run; the message names the part that is wrong. */
export class TreeSpecError extends Error {
  readonly code = 'InvalidOption';
  constructor(message: string) {
    super(message);
    this.name = 'TreeSpecError';
  }
}

const STRATEGIES: readonly Strategy[] = ['one_for_one', 'one_for_all', 'rest_for_one'];
const RESTART_TYPES: readonly RestartType[] = ['permanent', 'transient', 'temporary'];
const DIRECTIVES: readonly ErrorDirective[] = ['restart', 'resume', 'stop', 'escalate'];

/** A supervisor node: its children start in order and stop in reverse order. */
export function supervisor(options: SupervisorOptions): SupervisorSpec {
  if (typeof options !== 'object' || options === null) throw new TreeSpecError(`supervisor(options): options must be an object; got ${String(options)}`);
  const name = options.name ?? SUPERVISOR_DEFAULTS.name;
  checkName(`supervisor name`, name);
  const strategy = options.strategy ?? SUPERVISOR_DEFAULTS.strategy;
  if (!STRATEGIES.includes(strategy)) throw new TreeSpecError(`supervisor '${name}': strategy must be one of ${STRATEGIES.join(', ')}; got ${String(strategy)}`);
  const intensity = options.intensity ?? SUPERVISOR_DEFAULTS.intensity;
  if (!(Number.isInteger(intensity) && intensity >= 0)) throw new TreeSpecError(`supervisor '${name}': intensity must be an integer >= 0; got ${String(intensity)}`);
  const periodMs = options.periodMs ?? SUPERVISOR_DEFAULTS.periodMs;
  if (!(typeof periodMs === 'number' && periodMs > 0 && Number.isFinite(periodMs))) throw new TreeSpecError(`supervisor '${name}': periodMs must be a positive number; got ${String(periodMs)}`);
  if (!Array.isArray(options.children)) throw new TreeSpecError(`supervisor '${name}': children must be an array of child(...) and supervisor(...)`);
  const seen = new Set<string>();
  for (const c of options.children) {
    if (c === null || typeof c !== 'object' || (c.kind !== 'child' && c.kind !== 'supervisor')) {
      throw new TreeSpecError(`supervisor '${name}': every child must come from child(...) or supervisor(...); got ${JSON.stringify(c)}`);
    }
    if (seen.has(c.name)) throw new TreeSpecError(`supervisor '${name}': two children are named '${c.name}'`);
    seen.add(c.name);
  }
  return Object.freeze({ kind: 'supervisor', name, strategy, intensity, periodMs, children: Object.freeze([...options.children]) });
}

/** A worker child: `policy` says how it is supervised, `options` how it is spawned. */
export function childSpec<O>(
  name: string,
  moduleUrl: URL | string,
  policy: (Partial<Omit<ChildPolicy, 'backoff'>> & { backoff?: Partial<BackoffOptions> }) | undefined,
  options: O,
): ChildSpec<O> {
  checkName('child name', name);
  const restart = policy?.restart ?? CHILD_POLICY_DEFAULTS.restart;
  if (!RESTART_TYPES.includes(restart)) throw new TreeSpecError(`child '${name}': restart must be one of ${RESTART_TYPES.join(', ')}; got ${String(restart)}`);
  const onError = policy?.onError ?? CHILD_POLICY_DEFAULTS.onError;
  if (!DIRECTIVES.includes(onError)) throw new TreeSpecError(`child '${name}': onError must be one of ${DIRECTIVES.join(', ')}; got ${String(onError)}`);
  const backoff = { ...CHILD_POLICY_DEFAULTS.backoff, ...policy?.backoff };
  if (!(backoff.minMs >= 0 && backoff.maxMs >= backoff.minMs && Number.isFinite(backoff.maxMs))) {
    throw new TreeSpecError(`child '${name}': backoff needs 0 <= minMs <= maxMs (finite); got minMs ${backoff.minMs}, maxMs ${backoff.maxMs}`);
  }
  if (!(backoff.jitter >= 0 && backoff.jitter <= 1)) throw new TreeSpecError(`child '${name}': backoff.jitter must be from 0 to 1; got ${backoff.jitter}`);
  return Object.freeze({ kind: 'child', name, moduleUrl, policy: Object.freeze({ restart, onError, backoff: Object.freeze(backoff) }), options });
}

function checkName(what: string, name: unknown): void {
  if (typeof name !== 'string' || name === '' || name.length > 200 || name.startsWith('$') || name.includes('/')) {
    throw new TreeSpecError(`${what} must be a non-empty string of at most 200 characters, without '/' and not starting with '$'; got ${JSON.stringify(name)}`);
  }
}
