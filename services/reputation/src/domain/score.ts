import { type Evidence } from './evidence';
import { type ReputationModel } from './model-config';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** One piece of evidence and what it weighs now. */
export interface Contribution {
  eventId: string;
  kind: Evidence['kind'];
  /** Fault or ignored cause; empty otherwise. */
  cause: string;
  atMs: number;
  jobId?: string;
  pool?: string;
  /** 2^(-age / half-life) of its component. */
  decay: number;
  /** Weight in its component after decay (0 for ignored evidence). */
  effectiveWeight: number;
}

/** Every component of a score, each in [0, 1], and the evidence behind them. */
export interface ScoreBreakdown {
  scoreBps: number;
  /** Beta posterior mean of the GPU-second-weighted success rate. */
  reliability: number;
  startup: number;
  runtime: number;
  availability: number;
  /** Weighted mean of startup, runtime, availability. */
  aux: number;
  /** 1 / (1 + decayed slash severity). */
  slashFactor: number;
  /** Decayed success and fault weights (units), the Beta posterior's data. */
  successWeight: number;
  faultWeight: number;
  counts: {
    succeeded: number;
    faults: number;
    ignored: number;
    slashes: number;
    quarantines: number;
  };
  contributions: Contribution[];
  asOfMs: number;
  model: string;
}

export const decayFactor = (ageMs: number, halfLifeDays: number): number =>
  ageMs <= 0 ? 1 : Math.pow(2, -ageMs / (halfLifeDays * DAY_MS));

/** Linear from 1 at `good` down to 0 at `worst`. */
const ramp = (v: number, good: number, worst: number): number =>
  v <= good ? 1 : v >= worst ? 0 : 1 - (v - good) / (worst - good);

/** A mean shrunk towards 1 by `prior` pseudo-observations: no evidence means no penalty. */
const shrunk = (sum: number, weight: number, prior: number): number =>
  (prior + sum) / (prior + weight);

/** Oldest evidence still read at `nowMs` (for repositories: nothing older matters). */
export function horizonStartMs(nowMs: number, model: ReputationModel): number {
  const longest = Math.max(model.halfLifeDays, model.slashHalfLifeDays);
  return nowMs - longest * model.horizonHalfLives * DAY_MS;
}

/**
 * The score of a provider (or of one of its pools) at `nowMs` from its evidence:
 *
 *   reliability = (a + S) / (a + b + S + F)       Beta(a, b) prior, S/F decayed GPU-hour weights
 *   aux         = weighted mean(startup, runtime, availability)
 *   score       = reliability x (1 - auxWeight x (1 - aux)) x slashFactor
 *
 * Pure and order-independent up to floating-point summation, which runs in evidence order:
 * the same evidence in the same order always gives the same basis points.
 */
export function computeScore(
  evidence: readonly Evidence[],
  nowMs: number,
  model: ReputationModel,
): ScoreBreakdown {
  const counts = { succeeded: 0, faults: 0, ignored: 0, slashes: 0, quarantines: 0 };
  const contributions: Contribution[] = [];
  let S = 0;
  let F = 0;
  let startupSum = 0;
  let startupW = 0;
  let runtimeSum = 0;
  let runtimeW = 0;
  let quarantinePenalty = 0;
  let slashSeverity = 0;

  for (const e of evidence) {
    if (e.atMs > nowMs) continue; // evidence from the future of `nowMs` does not exist yet
    const age = nowMs - e.atMs;
    const d = decayFactor(age, e.kind === 'slash' ? model.slashHalfLifeDays : model.halfLifeDays);
    let w = 0;
    let cause = '';
    switch (e.kind) {
      case 'success':
        w = e.weight * d;
        S += w;
        counts.succeeded++;
        break;
      case 'fault':
        w = e.weight * d;
        F += w;
        cause = e.cause;
        counts.faults++;
        break;
      case 'ignored':
        cause = e.cause;
        counts.ignored++;
        break;
      case 'startup':
        w = d;
        startupSum += d * ramp(e.seconds, model.startup.targetSeconds, model.startup.worstSeconds);
        startupW += d;
        break;
      case 'runtime':
        w = d;
        runtimeSum += d * ramp(e.ratio, 1 + model.runtime.tolerance, model.runtime.worstRatio);
        runtimeW += d;
        break;
      case 'quarantine': {
        const end = Math.min(e.endMs ?? nowMs, nowMs);
        const hours = Math.max(0, end - e.atMs) / HOUR_MS;
        w =
          d * (model.availability.penaltyPerQuarantine + model.availability.penaltyPerHour * hours);
        quarantinePenalty += w;
        cause = e.reason;
        counts.quarantines++;
        break;
      }
      case 'slash':
        w = d * (model.slash.weight + model.slash.stakeShareWeight * e.stakeShare);
        slashSeverity += w;
        counts.slashes++;
        break;
    }
    contributions.push({
      eventId: e.eventId,
      kind: e.kind,
      cause,
      atMs: e.atMs,
      jobId: e.jobId,
      pool: e.pool,
      decay: d,
      effectiveWeight: w,
    });
  }

  const a = model.priorSuccesses;
  const b = model.priorFailures;
  const reliability = (a + S) / (a + b + S + F);
  const startup = shrunk(startupSum, startupW, model.startup.priorJobs);
  const runtime = shrunk(runtimeSum, runtimeW, model.runtime.priorJobs);
  const k = model.availability.priorStrength;
  const availability = k / (k + quarantinePenalty);
  const aw = model.auxWeights;
  const aux =
    (aw.startup * startup + aw.runtime * runtime + aw.availability * availability) /
    (aw.startup + aw.runtime + aw.availability);
  const slashFactor = 1 / (1 + slashSeverity);
  const score = reliability * (1 - model.auxWeight * (1 - aux)) * slashFactor;
  return {
    scoreBps: toBps(score),
    reliability,
    startup,
    runtime,
    availability,
    aux,
    slashFactor,
    successWeight: S,
    faultWeight: F,
    counts,
    contributions,
    asOfMs: nowMs,
    model: model.name,
  };
}

/** [0, 1] to integer basis points; rounding in one place keeps every reader exact. */
export function toBps(x: number): number {
  if (!Number.isFinite(x)) return 0;
  return Math.min(10_000, Math.max(0, Math.round(x * 10_000)));
}

/** The score a provider with no evidence gets: the prior mean, neither trusted nor punished. */
export function newcomerScoreBps(model: ReputationModel): number {
  return computeScore([], 0, model).scoreBps;
}

export const isExcluded = (scoreBps: number, model: ReputationModel): boolean =>
  scoreBps < model.exclusionThresholdBps;
