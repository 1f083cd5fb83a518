/** A provider as a reward epoch sees it: active stake (token base units) and score. */
export interface EpochParticipant {
  provider: string;
  stake: bigint;
  scoreBps: number;
}

export interface Allocation {
  account: string;
  amount: bigint;
  /** stake x scoreBps, the share's numerator. */
  weight: bigint;
}

export interface EpochAllocation {
  allocations: Allocation[];
  /** Sum of the amounts: at most the budget, the rounding rest stays in the pool. */
  total: bigint;
  excluded: { provider: string; reason: 'below-threshold' | 'no-stake' }[];
}

/**
 * Splits `budget` among providers pro rata to stake x reputation:
 *
 *   amount_i = floor(budget x stake_i x score_i / sum_j(stake_j x score_j))
 *
 * Providers below the exclusion threshold or without stake get nothing. Exact integer math;
 * output sorted by account so the same inputs always give the same Merkle tree.
 */
export function allocateEpoch(
  budget: bigint,
  participants: readonly EpochParticipant[],
  exclusionThresholdBps: number,
): EpochAllocation {
  if (budget < 0n) throw new Error(`allocateEpoch: budget must not be negative, got ${budget}`);
  const excluded: EpochAllocation['excluded'] = [];
  const eligible: { provider: string; weight: bigint }[] = [];
  const seen = new Set<string>();
  for (const p of [...participants].sort((x, y) => (x.provider < y.provider ? -1 : 1))) {
    const key = p.provider.toLowerCase();
    if (seen.has(key)) throw new Error(`allocateEpoch: provider ${p.provider} listed twice`);
    seen.add(key);
    if (p.stake <= 0n) excluded.push({ provider: p.provider, reason: 'no-stake' });
    else if (p.scoreBps < exclusionThresholdBps)
      excluded.push({ provider: p.provider, reason: 'below-threshold' });
    else eligible.push({ provider: p.provider, weight: p.stake * BigInt(p.scoreBps) });
  }
  const sum = eligible.reduce((acc, p) => acc + p.weight, 0n);
  const allocations: Allocation[] = [];
  if (sum > 0n && budget > 0n)
    for (const p of eligible) {
      const amount = (budget * p.weight) / sum;
      if (amount > 0n) allocations.push({ account: p.provider, amount, weight: p.weight });
    }
  return { allocations, total: allocations.reduce((a, x) => a + x.amount, 0n), excluded };
}
