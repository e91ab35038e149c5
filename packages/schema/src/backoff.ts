/** Retry delays: exponential backoff with jitter, so a fleet does not come back in lockstep. */

/** How retries space out. */
export interface BackoffOptions {
  /** First delay, ms (default 1,000). */
  initialDelayMs?: number;
  /** Longest delay, ms (default 60,000). */
  maxDelayMs?: number;
  /** Growth per attempt (default 2). */
  factor?: number;
}

/**
 * Delay before retry number `attempt` (0 for the first retry): the exponential step, capped, then
 * "equal jitter" (half fixed, half random) so retries spread out yet never come back at once.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialDelayMs ?? 1000;
  const max = options.maxDelayMs ?? 60_000;
  const factor = options.factor ?? 2;
  const step = Math.min(max, initial * factor ** Math.max(0, Math.min(attempt, 64)));
  return Math.round(step / 2 + random() * (step / 2));
}
