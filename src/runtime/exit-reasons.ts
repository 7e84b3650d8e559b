import { FailureCode, type ControlFromWorker, type SerializedError } from '../transport/protocol.js';
import type { ExitCause } from '../../supervisors/supervisor-machine.js';

type FailedInPlace = Extract<ControlFromWorker, { type: 'failed' }>;

/** The cause and reason the supervisor hears for an actor whose own code failed in a kept worker. */
export function inPlaceExit(m: FailedInPlace): { cause: ExitCause; reason: string } {
  const cause: ExitCause =
    m.origin !== 'receive' ? 'crash'
    : m.directive === 'stop' ? 'directive-stop'
    : m.directive === 'escalate' ? 'directive-escalate'
    : 'crash';
  return { cause, reason: failureReason(m) };
}

/** How an in-place failure reads in the logs. */
export function failureReason(m: FailedInPlace): string {
  const error = m.error;
  return m.origin === 'receive' ? `receive threw ${error.name}: ${error.message}` : `${error.name}: ${error.message}`;
}

/**
 * The cause and reason of a worker's death: the directive its worker stored (FAILURE), a kill, the
 * error it died with, or its exit code.
 */
export function workerExit(failureCode: number, code: number, error: SerializedError | undefined, killedFor: string | undefined): { cause: ExitCause; reason: string } {
  const cause: ExitCause =
    failureCode === FailureCode.Stop ? 'directive-stop'
    : failureCode === FailureCode.Escalate ? 'directive-escalate'
    : failureCode === FailureCode.Restart || code !== 0 || error !== undefined || killedFor !== undefined ? 'crash'
    : 'normal';
  const reason =
    killedFor !== undefined ? killedFor
    : failureCode !== FailureCode.None ? `receive threw ${error ? `${error.name}: ${error.message}` : 'a non-error value'}`
    : error !== undefined ? `${error.name}: ${error.message}`
    : code === 0 ? 'its worker exited (code 0) without being asked to stop'
    : `its worker exited with code ${code}`;
  return { cause, reason };
}
