/** A job waiting for a placement, as the queue sees it. */
export interface QueuedJob {
  jobId: string;
  clientId: string;
  /** 1 (low) to 4 (critical). */
  urgency: number;
  /** Epoch milliseconds when the job (last) entered the queue. */
  queuedAtMs: number;
}

export interface QueuePolicy {
  /**
   * A waiting job gains one urgency level per this many seconds waited (capped at critical),
   * so low-urgency work is never starved by a steady stream of urgent work. 0 disables aging.
   */
  agingSecondsPerLevel: number;
}

/**
 * Matching order: by effective urgency (urgency raised by age), then fair between clients
 * (round robin: every client's oldest waiting job before anyone's second), then by age.
 * Deterministic: ties end on the job id.
 */
export function orderQueue<J extends QueuedJob>(
  jobs: readonly J[],
  nowMs: number,
  policy: QueuePolicy,
): J[] {
  const effective = (j: J): number => {
    if (policy.agingSecondsPerLevel <= 0) return j.urgency;
    const levels = Math.floor(
      Math.max(0, nowMs - j.queuedAtMs) / 1000 / policy.agingSecondsPerLevel,
    );
    return Math.min(4, j.urgency + levels);
  };
  const byAge = (a: J, b: J) =>
    a.queuedAtMs - b.queuedAtMs || (a.jobId < b.jobId ? -1 : a.jobId > b.jobId ? 1 : 0);

  const levels = new Map<number, J[]>();
  for (const j of jobs) {
    const level = effective(j);
    levels.set(level, [...(levels.get(level) ?? []), j]);
  }
  const ordered: J[] = [];
  for (const level of [...levels.keys()].sort((a, b) => b - a)) {
    // Rank each job within its client (0 = the client's oldest); then order by rank, then age.
    const perClient = new Map<string, J[]>();
    for (const j of levels.get(level)!.slice().sort(byAge)) {
      perClient.set(j.clientId, [...(perClient.get(j.clientId) ?? []), j]);
    }
    const ranked = [...perClient.values()].flatMap((list) =>
      list.map((job, rank) => ({ job, rank })),
    );
    ranked.sort((a, b) => a.rank - b.rank || byAge(a.job, b.job));
    ordered.push(...ranked.map((r) => r.job));
  }
  return ordered;
}
