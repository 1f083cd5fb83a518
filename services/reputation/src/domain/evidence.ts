/**
 * What the score is computed from: one row per event that says something about a provider.
 * Every row keeps the id of the event behind it, so a score can name its causes.
 */

/** Provider-fault causes: the only job failures that count against a provider. */
export type FaultCause = 'node-fault' | 'node-lost' | 'pod-never-started' | 'timed-out-healthy';

/** Outcomes that are recorded (for explanation) but weigh nothing. */
export type IgnoredCause = 'workload-error' | 'workload-timeout' | 'self-dealing' | 'cancelled';

interface Base {
  /** event_id of the event this evidence comes from. */
  eventId: string;
  /** When it happened (the event's occurred_at), ms since the epoch. */
  atMs: number;
  provider: string;
  /** "<region>/<pool>" of the provider's node pool, when the event names one. */
  pool?: string;
  jobId?: string;
}

export type Evidence =
  | (Base & { kind: 'success'; weight: number; gpuSeconds: number })
  | (Base & { kind: 'fault'; cause: FaultCause; weight: number; gpuSeconds: number })
  | (Base & { kind: 'ignored'; cause: IgnoredCause })
  /** Seconds from JobDispatched to the pod running. */
  | (Base & { kind: 'startup'; seconds: number })
  /** Runtime divided by the job's estimate, for jobs that succeeded and had one. */
  | (Base & { kind: 'runtime'; ratio: number })
  /** A node quarantine; endMs once the node recovered (or left). */
  | (Base & { kind: 'quarantine'; node: string; reason: string; endMs?: number })
  /** A slash on chain; stakeShare = amount / (amount + stake left). */
  | (Base & { kind: 'slash'; amount: bigint; stakeShare: number });

export type EvidenceKind = Evidence['kind'];

export const poolKey = (region: string, pool: string): string => `${region}/${pool}`;
