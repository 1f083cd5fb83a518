/**
 * Integer arithmetic for prices and signals. Everything that decides a price is a bigint:
 * token base units (the AGPU has 18 decimals), basis points (10 000 = 1) and GPU counts scaled
 * by SCALE. Division truncates toward zero, the same on every machine, so a replay reproduces
 * every price bit for bit.
 */
export const BPS = 10_000n;

/** Fixed-point scale of smoothed GPU counts: 1 GPU = 1 000 000 units. */
export const SCALE = 1_000_000n;

export function mulBps(value: bigint, bps: bigint): bigint {
  return (value * bps) / BPS;
}

export function clamp(value: bigint, min: bigint, max: bigint): bigint {
  if (value < min) return min;
  if (value > max) return max;
  return value;
}

export function abs(value: bigint): bigint {
  return value < 0n ? -value : value;
}

/**
 * One step of an exponentially weighted moving average in fixed point:
 * s' = s + alpha * (x - s), alpha in basis points. Truncation stops the average a few units
 * short of a constant input, where it then stays: it converges without oscillating.
 */
export function ewma(previous: bigint, sample: bigint, alphaBps: bigint): bigint {
  return previous + ((sample - previous) * alphaBps) / BPS;
}

/** ceil(a / b) for non-negative a and positive b. */
export function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}
