/**
 * The reputation model's settings: every number the score uses, versioned so a published score
 * can be explained by the settings that produced it. Read from config/reputation-model.yaml (or
 * REPUTATION_MODEL_FILE), validated at boot; every field has a default.
 */
export interface ReputationModel {
  version: 1;
  /** Recorded with every score (`ReputationUpdated.model`), e.g. "default-v1". */
  name: string;
  /** Evidence of job outcomes, start latency, runtime and quarantines halves in weight every this many days. */
  halfLifeDays: number;
  /** Slashes decay much more slowly. */
  slashHalfLifeDays: number;
  /** Evidence older than this many half-lives weighs < 2^-n and is no longer read. */
  horizonHalfLives: number;
  /** GPU-seconds that make one unit of outcome weight (one GPU-hour by default). */
  unitGpuSeconds: number;
  /** Largest weight one job can carry, in units: one huge job cannot buy trust alone. */
  maxJobWeight: number;
  /** Weight of a provider fault on a job that never ran (no metered GPU-seconds), in units. */
  minFaultWeight: number;
  /** Beta prior of the success rate, in units; the prior mean alpha/(alpha+beta) is a newcomer's reliability. */
  priorSuccesses: number;
  priorFailures: number;
  /** A JobTimedOut is a provider fault when the workload ran less than this share of its limit. */
  timeoutHealthyRunShare: number;
  startup: { targetSeconds: number; worstSeconds: number; priorJobs: number };
  runtime: { tolerance: number; worstRatio: number; priorJobs: number };
  availability: { priorStrength: number; penaltyPerQuarantine: number; penaltyPerHour: number };
  slash: { weight: number; stakeShareWeight: number };
  /** How much the auxiliary components (start, runtime, availability) can take off: score = reliability x (1 - auxWeight x (1 - aux)) x slashFactor. */
  auxWeight: number;
  auxWeights: { startup: number; runtime: number; availability: number };
  /** Providers (and pools) below this score are excluded from matching and from rewards, basis points. */
  exclusionThresholdBps: number;
}

export const DEFAULT_MODEL: ReputationModel = {
  version: 1,
  name: 'default-v1',
  halfLifeDays: 14,
  slashHalfLifeDays: 90,
  horizonHalfLives: 10,
  unitGpuSeconds: 3_600,
  maxJobWeight: 24,
  minFaultWeight: 0.25,
  priorSuccesses: 4,
  priorFailures: 1,
  timeoutHealthyRunShare: 0.9,
  startup: { targetSeconds: 30, worstSeconds: 600, priorJobs: 3 },
  runtime: { tolerance: 0.1, worstRatio: 2, priorJobs: 3 },
  availability: { priorStrength: 4, penaltyPerQuarantine: 1, penaltyPerHour: 0.25 },
  slash: { weight: 3, stakeShareWeight: 4 },
  auxWeight: 0.3,
  auxWeights: { startup: 1, runtime: 1, availability: 2 },
  exclusionThresholdBps: 5_000,
};

export class ModelConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid reputation model ${source}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ModelConfigError';
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads numbers with bounds; collects every problem instead of stopping at the first. */
class Reader {
  readonly problems: string[] = [];

  num(
    doc: Obj,
    key: string,
    path: string,
    dflt: number,
    min: number,
    max: number,
    integer = false,
  ): number {
    const v = doc[key];
    if (v === undefined) return dflt;
    const ok =
      typeof v === 'number' &&
      Number.isFinite(v) &&
      v >= min &&
      v <= max &&
      (!integer || Number.isInteger(v));
    if (!ok) {
      this.problems.push(
        `${path}${key}: ${JSON.stringify(v)} is not accepted; expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`,
      );
      return dflt;
    }
    return v;
  }

  section(doc: Obj, key: string): Obj {
    const v = doc[key];
    if (v === undefined) return {};
    if (!isObj(v)) {
      this.problems.push(`${key}: expected a mapping`);
      return {};
    }
    this.unknown(v, Object.keys((DEFAULT_MODEL as unknown as Obj)[key] as Obj), `${key}.`);
    return v;
  }

  unknown(doc: Obj, known: string[], path: string): void {
    for (const k of Object.keys(doc))
      if (!known.includes(k))
        this.problems.push(`${path}${k}: unknown setting; known: ${known.join(', ')}`);
  }
}

/** Validates a parsed model document (YAML/JSON); absent fields take their defaults. */
export function parseModel(doc: unknown, source = 'document'): ReputationModel {
  if (doc === null || doc === undefined) doc = {};
  if (!isObj(doc)) throw new ModelConfigError(source, ['expected a mapping at the top level']);
  const r = new Reader();
  const d = DEFAULT_MODEL;
  r.unknown(doc, Object.keys(d), '');
  if (doc.version !== undefined && doc.version !== 1)
    r.problems.push(
      `version: ${JSON.stringify(doc.version)} is not supported; this service reads version 1`,
    );
  const name = doc.name === undefined ? d.name : doc.name;
  if (typeof name !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(name))
    r.problems.push('name: expected 1-64 characters of letters, digits, ".", "_" or "-"');
  const st = r.section(doc, 'startup');
  const rt = r.section(doc, 'runtime');
  const av = r.section(doc, 'availability');
  const sl = r.section(doc, 'slash');
  const aw = r.section(doc, 'auxWeights');
  const model: ReputationModel = {
    version: 1,
    name: typeof name === 'string' ? name : d.name,
    halfLifeDays: r.num(doc, 'halfLifeDays', '', d.halfLifeDays, 0.001, 3650),
    slashHalfLifeDays: r.num(doc, 'slashHalfLifeDays', '', d.slashHalfLifeDays, 0.001, 36500),
    horizonHalfLives: r.num(doc, 'horizonHalfLives', '', d.horizonHalfLives, 1, 64),
    unitGpuSeconds: r.num(doc, 'unitGpuSeconds', '', d.unitGpuSeconds, 1, 1e9),
    maxJobWeight: r.num(doc, 'maxJobWeight', '', d.maxJobWeight, 0.001, 1e6),
    minFaultWeight: r.num(doc, 'minFaultWeight', '', d.minFaultWeight, 0, 1e6),
    priorSuccesses: r.num(doc, 'priorSuccesses', '', d.priorSuccesses, 0.001, 1e6),
    priorFailures: r.num(doc, 'priorFailures', '', d.priorFailures, 0.001, 1e6),
    timeoutHealthyRunShare: r.num(
      doc,
      'timeoutHealthyRunShare',
      '',
      d.timeoutHealthyRunShare,
      0,
      1,
    ),
    startup: {
      targetSeconds: r.num(st, 'targetSeconds', 'startup.', d.startup.targetSeconds, 0, 86_400),
      worstSeconds: r.num(st, 'worstSeconds', 'startup.', d.startup.worstSeconds, 1, 86_400),
      priorJobs: r.num(st, 'priorJobs', 'startup.', d.startup.priorJobs, 0.001, 1e6),
    },
    runtime: {
      tolerance: r.num(rt, 'tolerance', 'runtime.', d.runtime.tolerance, 0, 10),
      worstRatio: r.num(rt, 'worstRatio', 'runtime.', d.runtime.worstRatio, 1, 100),
      priorJobs: r.num(rt, 'priorJobs', 'runtime.', d.runtime.priorJobs, 0.001, 1e6),
    },
    availability: {
      priorStrength: r.num(
        av,
        'priorStrength',
        'availability.',
        d.availability.priorStrength,
        0.001,
        1e6,
      ),
      penaltyPerQuarantine: r.num(
        av,
        'penaltyPerQuarantine',
        'availability.',
        d.availability.penaltyPerQuarantine,
        0,
        1e6,
      ),
      penaltyPerHour: r.num(
        av,
        'penaltyPerHour',
        'availability.',
        d.availability.penaltyPerHour,
        0,
        1e6,
      ),
    },
    slash: {
      weight: r.num(sl, 'weight', 'slash.', d.slash.weight, 0, 1e6),
      stakeShareWeight: r.num(sl, 'stakeShareWeight', 'slash.', d.slash.stakeShareWeight, 0, 1e6),
    },
    auxWeight: r.num(doc, 'auxWeight', '', d.auxWeight, 0, 1),
    auxWeights: {
      startup: r.num(aw, 'startup', 'auxWeights.', d.auxWeights.startup, 0, 1e6),
      runtime: r.num(aw, 'runtime', 'auxWeights.', d.auxWeights.runtime, 0, 1e6),
      availability: r.num(aw, 'availability', 'auxWeights.', d.auxWeights.availability, 0, 1e6),
    },
    exclusionThresholdBps: r.num(
      doc,
      'exclusionThresholdBps',
      '',
      d.exclusionThresholdBps,
      0,
      10_000,
      true,
    ),
  };
  if (model.startup.worstSeconds <= model.startup.targetSeconds)
    r.problems.push('startup.worstSeconds: must be greater than startup.targetSeconds');
  if (model.runtime.worstRatio <= 1 + model.runtime.tolerance)
    r.problems.push('runtime.worstRatio: must be greater than 1 + runtime.tolerance');
  const aux = model.auxWeights;
  if (aux.startup + aux.runtime + aux.availability <= 0)
    r.problems.push('auxWeights: at least one weight must be positive');
  if (r.problems.length > 0) throw new ModelConfigError(source, r.problems);
  return model;
}
