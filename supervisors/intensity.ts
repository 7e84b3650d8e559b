/**
 * OTP restart intensity: the supervisor remembers when it restarted children; more than
 * `intensity` restarts within the last `periodMs` means restarting does not help.
 * Pure: returns the new window of restart times and whether the limit is exceeded.
 */
export function recordRestart(
  times: readonly number[],
  at: number,
  intensity: number,
  periodMs: number,
): { times: number[]; exceeded: boolean } {
  const kept = times.filter((t) => t > at - periodMs);
  kept.push(at);
  return { times: kept, exceeded: kept.length > intensity };
}
