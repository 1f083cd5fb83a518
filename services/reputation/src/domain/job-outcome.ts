import { type Evidence, type FaultCause, type IgnoredCause } from './evidence';
import { type ReputationModel } from './model-config';

/** What the service remembers about a job between its events (from JobSubmitted onwards). */
export interface JobFacts {
  jobId: string;
  /** Wallet that funds the job; equal to the provider's wallet means self-dealing. */
  clientAddress: string;
  gpuCount: number;
  maxDurationSeconds: number;
  /** Expected runtime, 0 when nobody estimated it. */
  estimatedRuntimeSeconds: number;
  dispatchedAtMs?: number;
  startedAtMs?: number;
}

export interface Placement {
  provider: string;
  region: string;
  pool: string;
  node: string;
}

export type JobTerminal =
  | { type: 'succeeded'; gpuSeconds: number }
  | { type: 'failed'; gpuSeconds: number; providerFault: boolean; reason: string }
  | { type: 'timed-out'; gpuSeconds: number; maxDurationSeconds: number }
  | { type: 'cancelled'; gpuSeconds: number };

export interface EventRef {
  eventId: string;
  atMs: number;
}

/** A job's own wallet paying its own provider: its outcomes must not move the score. */
export function isSelfDealing(facts: JobFacts | undefined, provider: string): boolean {
  return (
    !!facts &&
    facts.clientAddress !== '' &&
    facts.clientAddress.toLowerCase() === provider.toLowerCase()
  );
}

/** Outcome weight in units: GPU-seconds / unit, capped, so tiny jobs weigh next to nothing. */
export function outcomeWeight(gpuSeconds: number, model: ReputationModel): number {
  return Math.min(model.maxJobWeight, Math.max(0, gpuSeconds) / model.unitGpuSeconds);
}

/**
 * A fault costs at least what the client lost: the GPU-seconds it ran, or if it never ran the
 * time it reserved (gpus x limit), capped; never less than minFaultWeight.
 */
export function faultWeight(
  gpuSeconds: number,
  facts: JobFacts | undefined,
  model: ReputationModel,
): number {
  const reserved = facts ? facts.gpuCount * facts.maxDurationSeconds : 0;
  const basis = gpuSeconds > 0 ? gpuSeconds : reserved;
  return Math.max(model.minFaultWeight, outcomeWeight(basis, model));
}

function faultCause(
  t: JobTerminal,
  facts: JobFacts | undefined,
  model: ReputationModel,
): FaultCause | IgnoredCause {
  const neverStarted = facts !== undefined && facts.startedAtMs === undefined && t.gpuSeconds === 0;
  switch (t.type) {
    case 'failed':
      if (!t.providerFault) return 'workload-error';
      if (t.reason === 'NodeLost') return 'node-lost';
      return neverStarted ? 'pod-never-started' : 'node-fault';
    case 'timed-out': {
      // The workload had its full limit and did not finish: its own doing. It is the provider's
      // when the pod never ran or ran for much less than the limit (slow start, stalled node).
      if (neverStarted) return 'pod-never-started';
      const gpus = Math.max(1, facts?.gpuCount ?? 1);
      const ranSeconds = t.gpuSeconds / gpus;
      const limit = t.maxDurationSeconds || facts?.maxDurationSeconds || 0;
      return limit > 0 && ranSeconds < model.timeoutHealthyRunShare * limit
        ? 'timed-out-healthy'
        : 'workload-timeout';
    }
    default:
      return 'cancelled';
  }
}

/** Evidence a job's terminal event yields for the provider that ran it. */
export function outcomeEvidence(
  ref: EventRef,
  placement: Placement,
  terminal: JobTerminal,
  facts: JobFacts | undefined,
  model: ReputationModel,
): Evidence[] {
  const base = {
    ...ref,
    provider: placement.provider,
    pool: `${placement.region}/${placement.pool}`,
    jobId: facts?.jobId,
  };
  if (isSelfDealing(facts, placement.provider))
    return [{ ...base, kind: 'ignored', cause: 'self-dealing' }];
  if (terminal.type === 'succeeded') {
    const out: Evidence[] = [
      {
        ...base,
        kind: 'success',
        weight: outcomeWeight(terminal.gpuSeconds, model),
        gpuSeconds: terminal.gpuSeconds,
      },
    ];
    if (facts && facts.estimatedRuntimeSeconds > 0 && terminal.gpuSeconds > 0) {
      const runSeconds = terminal.gpuSeconds / Math.max(1, facts.gpuCount);
      out.push({ ...base, kind: 'runtime', ratio: runSeconds / facts.estimatedRuntimeSeconds });
    }
    return out;
  }
  const cause = faultCause(terminal, facts, model);
  if (
    cause === 'workload-error' ||
    cause === 'workload-timeout' ||
    cause === 'cancelled' ||
    cause === 'self-dealing'
  )
    return [{ ...base, kind: 'ignored', cause }];
  return [
    {
      ...base,
      kind: 'fault',
      cause,
      weight: faultWeight(terminal.gpuSeconds, facts, model),
      gpuSeconds: terminal.gpuSeconds,
    },
  ];
}

/** Start latency evidence when the pod starts running (none for self-dealing or unknown dispatch). */
export function startupEvidence(
  ref: EventRef,
  placement: Placement,
  facts: JobFacts | undefined,
  startedAtMs: number,
): Evidence[] {
  if (!facts?.dispatchedAtMs || isSelfDealing(facts, placement.provider)) return [];
  const seconds = Math.max(0, (startedAtMs - facts.dispatchedAtMs) / 1000);
  return [
    {
      ...ref,
      provider: placement.provider,
      pool: `${placement.region}/${placement.pool}`,
      jobId: facts.jobId,
      kind: 'startup',
      seconds,
    },
  ];
}
