/** A token bucket: `capacity` tokens, refilled at `perSecond`, one taken per request. */
export interface BucketPolicy {
  capacity: number;
  perSecond: number;
}

export interface BucketState {
  tokens: number;
  /** Milliseconds since the epoch of the last refill. */
  atMs: number;
}

export type TakeResult =
  | { allowed: true; state: BucketState }
  | { allowed: false; state: BucketState; retryAfterSeconds: number };

/** Takes one token at `nowMs`; when none is left, says how long until one is. Pure. */
export function takeToken(
  policy: BucketPolicy,
  previous: BucketState | undefined,
  nowMs: number,
): TakeResult {
  const start = previous ?? { tokens: policy.capacity, atMs: nowMs };
  const elapsed = Math.max(0, nowMs - start.atMs) / 1000;
  const tokens = Math.min(policy.capacity, start.tokens + elapsed * policy.perSecond);
  if (tokens >= 1) return { allowed: true, state: { tokens: tokens - 1, atMs: nowMs } };
  return {
    allowed: false,
    state: { tokens, atMs: nowMs },
    retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / policy.perSecond)),
  };
}

export const perMinute = (n: number, burst: number): BucketPolicy => ({
  capacity: burst,
  perSecond: n / 60,
});
