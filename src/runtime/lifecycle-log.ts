import type { Logger } from 'pino';
import type { SerializedError } from '../transport/protocol.js';

/** The events of an actor's life that the supervision logs record (one JSON line each). */
export type LifecycleEventName =
  | 'started'
  | 'failed'
  | 'restarting'
  | 'restarted'
  | 'stopped'
  | 'escalated'
  | 'dead-letter'
  | 'hang'
  | 'stale-claim';

export interface LifecycleFields {
  actor: string;
  /** Its place in the supervision tree: supervisor names from the root, then its own name. */
  path: string;
  event: LifecycleEventName;
  reason?: SerializedError | string;
  restarts?: number;
  downtimeMs?: number;
  [extra: string]: unknown;
}

const LEVELS: Record<LifecycleEventName, 'info' | 'warn' | 'error' | 'fatal'> = {
  started: 'info',
  restarting: 'warn',
  restarted: 'info',
  stopped: 'info',
  failed: 'error',
  hang: 'error',
  'dead-letter': 'error',
  'stale-claim': 'warn',
  escalated: 'error',
};

/**
 * Writes lifecycle events as pino JSON lines: time, system, actor, path, event, reason (name,
 * message, stack), restarts, downtimeMs. `dualbus top` and any log pipeline read these lines.
 */
export class LifecycleLog {
  constructor(
    private readonly logger: Logger,
    private readonly system: string,
  ) {}

  write(f: LifecycleFields, level = LEVELS[f.event]): void {
    const reason = typeof f.reason === 'string' ? { name: 'Reason', message: f.reason } : f.reason;
    const line = { system: this.system, ...f, ...(reason !== undefined ? { reason } : {}) };
    const text = `${f.path}: ${f.event}${reason !== undefined ? `: ${reason.message}` : ''}`;
    this.logger[level](line, text);
  }
}
