/** Exponential backoff with full jitter (AWS architecture blog), capped. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** Growth per attempt, usually 2. */
  factor: number;
}

export const defaultBackoff: BackoffPolicy = { initialMs: 100, maxMs: 5_000, factor: 2 };

/**
 * Delay before retry number `attempt` (1-based). `random` in [0, 1) is injected so the function
 * stays pure and testable; full jitter spreads retries of many consumers after an outage.
 */
export function backoffDelay(
  attempt: number,
  random: number,
  policy: BackoffPolicy = defaultBackoff,
): number {
  const ceiling = Math.min(
    policy.maxMs,
    policy.initialMs * Math.pow(policy.factor, Math.max(0, attempt - 1)),
  );
  return Math.floor(ceiling * random);
}
