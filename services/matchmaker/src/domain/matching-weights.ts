/**
 * Matching settings: a versioned, defaulted schema (like Kueue's component config). A document
 * names its `version`; fields it leaves out take the defaults, so an operator overrides only
 * what they mean to change, and an old document keeps working when fields are added.
 */
export interface MatchingWeights {
  version: 1;
  /** Relative weights of the soft score's terms; normalised to sum 1. */
  weights: { price: number; reputation: number; packing: number; regionPreference: number };
  /** Providers whose reputation (0..1) is below this are not matched at all. */
  reputationFloor: number;
  /** Reputation assumed for a provider nobody has scored yet. */
  neutralReputation: number;
}

export const DEFAULT_MATCHING_WEIGHTS: MatchingWeights = {
  version: 1,
  // The client's region choice outweighs packing: best fit picks the node within a region, it does
  // not move a job away from a preferred region that has room.
  weights: { price: 0.25, reputation: 0.2, packing: 0.2, regionPreference: 0.35 },
  reputationFloor: 0.2,
  neutralReputation: 0.5,
};

/** Parses a weights document (already JSON/YAML-decoded) over the defaults; throws with every problem. */
export function parseMatchingWeights(doc: unknown): MatchingWeights {
  if (doc === undefined || doc === null) return DEFAULT_MATCHING_WEIGHTS;
  const problems: string[] = [];
  const d = doc as Record<string, unknown>;
  if (typeof doc !== 'object')
    throw new Error('matching weights: expected an object with version: 1');
  if (d.version !== 1)
    problems.push(`version: ${String(d.version)} is not supported (accepted: 1)`);
  const w = {
    ...DEFAULT_MATCHING_WEIGHTS.weights,
    ...((d.weights as object | undefined) ?? {}),
  } as Record<string, unknown>;
  for (const key of Object.keys(w)) {
    if (!(key in DEFAULT_MATCHING_WEIGHTS.weights))
      problems.push(
        `weights.${key}: unknown (accepted: price, reputation, packing, regionPreference)`,
      );
    else if (typeof w[key] !== 'number' || !Number.isFinite(w[key]) || (w[key] as number) < 0)
      problems.push(`weights.${key}: must be a number >= 0`);
  }
  const unit = (name: 'reputationFloor' | 'neutralReputation'): number => {
    const value = d[name] ?? DEFAULT_MATCHING_WEIGHTS[name];
    if (typeof value !== 'number' || value < 0 || value > 1)
      problems.push(`${name}: must be a number in [0, 1]`);
    return value as number;
  };
  const reputationFloor = unit('reputationFloor');
  const neutralReputation = unit('neutralReputation');
  const weights = w as MatchingWeights['weights'];
  const sum = weights.price + weights.reputation + weights.packing + weights.regionPreference;
  if (problems.length === 0 && sum <= 0) problems.push('weights: at least one must be above 0');
  if (problems.length) throw new Error(`matching weights: ${problems.join('; ')}`);
  return {
    version: 1,
    weights: {
      price: weights.price / sum,
      reputation: weights.reputation / sum,
      packing: weights.packing / sum,
      regionPreference: weights.regionPreference / sum,
    },
    reputationFloor,
    neutralReputation,
  };
}
