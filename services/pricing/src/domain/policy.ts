import { GPU_CLASSES, type KnownGpuClass } from '@starminer/gpu-catalogue';
import { URGENCIES, type Urgency } from './tier';

/**
 * The pricing policy: every number the MTP engine uses, versioned so a recorded price can be
 * explained by the policy that set it. Read from services/pricing/config/pricing-policy.yaml
 * (or PRICING_POLICY_FILE) and validated at boot; every field has a default.
 */
export interface PricingPolicy {
  version: 1;
  /** Name recorded with each price (PriceUpdated.strategy is "<strategy>@<name>"). */
  name: string;
  /** Length of a pricing interval: prices move at most once per interval. */
  intervalSeconds: number;
  /** Neutral price per GPU-second of each class, in AGPU base units (18 decimals). */
  basePrices: Record<KnownGpuClass, bigint>;
  /** Price multiplier per urgency, basis points (10 000 = x1); strictly increasing. */
  urgencyMultipliersBps: Record<Urgency, bigint>;
  /** Lowest and highest price, relative to base x urgency, basis points. */
  floorBps: bigint;
  ceilingBps: bigint;
  /** Largest change of a tier's price in one interval, relative to its previous price. */
  maxStepBps: bigint;
  /** Utilization (demand / supply) at which the price is neutral. */
  targetUtilizationBps: bigint;
  /** How strongly the price follows utilization: factor = 1 + sensitivity x (u - target). */
  sensitivityBps: bigint;
  /** Changes smaller than this, relative to the previous price, are not made (no jitter). */
  deadbandBps: bigint;
  /** EWMA weights of a new sample of demand and of supply, basis points (10 000 = no smoothing). */
  demandAlphaBps: bigint;
  supplyAlphaBps: bigint;
  /** Assumed run time of a job when a pool has no finished job yet (start-time estimates). */
  defaultJobSeconds: number;
  /** How long a signed quote can fund a job. */
  quoteValiditySeconds: number;
}

const AGPU = 10n ** 18n;
/** AGPU per GPU-hour as base units per GPU-second. */
const perHour = (agpuTimes1000: bigint) => (agpuTimes1000 * AGPU) / 1000n / 3600n;

export const DEFAULT_POLICY: PricingPolicy = {
  version: 1,
  name: 'default-v1',
  intervalSeconds: 60,
  basePrices: {
    'H100-80GB': perHour(2_400n),
    'A100-80GB': perHour(1_500n),
    'A100-40GB': perHour(1_100n),
    L40S: perHour(900n),
    'RTX-4090': perHour(400n),
  },
  urgencyMultipliersBps: { low: 8_000n, normal: 10_000n, high: 13_000n, critical: 18_000n },
  floorBps: 5_000n,
  ceilingBps: 30_000n,
  maxStepBps: 500n,
  targetUtilizationBps: 8_000n,
  sensitivityBps: 20_000n,
  deadbandBps: 20n,
  demandAlphaBps: 2_000n,
  supplyAlphaBps: 5_000n,
  defaultJobSeconds: 1_800,
  quoteValiditySeconds: 300,
};

/** A policy file that does not validate; `issues` names every bad field. */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  constructor(
    readonly source: string,
    readonly issues: string[],
  ) {
    super(`invalid pricing policy ${source}:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
  }
}

type Issues = string[];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function intField(
  obj: Record<string, unknown>,
  key: string,
  fallback: number,
  min: number,
  max: number,
  issues: Issues,
): number {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    issues.push(`${key}: expected an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
    return fallback;
  }
  return v;
}

function bpsField(
  obj: Record<string, unknown>,
  key: string,
  fallback: bigint,
  min: number,
  max: number,
  issues: Issues,
  where = key,
): bigint {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    issues.push(
      `${where}: expected basis points, an integer from ${min} to ${max}, got ${JSON.stringify(v)}`,
    );
    return fallback;
  }
  return BigInt(v);
}

function baseUnits(v: unknown, where: string, issues: Issues): bigint | undefined {
  if (typeof v !== 'string' || !/^[1-9]\d{0,59}$/.test(v)) {
    issues.push(
      `${where}: expected a positive decimal string of AGPU base units per GPU-second (e.g. "666666666666666"), got ${JSON.stringify(v)}`,
    );
    return undefined;
  }
  return BigInt(v);
}

const KNOWN_KEYS = new Set([
  'version',
  'name',
  'intervalSeconds',
  'basePrices',
  'urgencyMultipliersBps',
  'floorBps',
  'ceilingBps',
  'maxStepBps',
  'targetUtilizationBps',
  'sensitivityBps',
  'deadbandBps',
  'demandAlphaBps',
  'supplyAlphaBps',
  'defaultJobSeconds',
  'quoteValiditySeconds',
]);

/**
 * Validates a parsed policy document and fills in defaults. Unknown keys are errors (a typo
 * would otherwise silently leave a default in force). Throws PolicyError listing every issue.
 */
export function parsePolicy(doc: unknown, source = 'policy'): PricingPolicy {
  const issues: Issues = [];
  const obj = doc ?? {};
  if (!isRecord(obj)) throw new PolicyError(source, ['expected a mapping at the top level']);
  for (const key of Object.keys(obj)) {
    if (!KNOWN_KEYS.has(key))
      issues.push(`${key}: unknown field (accepted: ${[...KNOWN_KEYS].join(', ')})`);
  }
  if (obj.version !== undefined && obj.version !== 1)
    issues.push(`version: only version 1 is supported, got ${JSON.stringify(obj.version)}`);
  const d = DEFAULT_POLICY;
  let name = d.name;
  if (obj.name !== undefined) {
    if (typeof obj.name !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,62}$/.test(obj.name))
      issues.push(`name: expected lower-case letters, digits, ".", "_" or "-" (max 63)`);
    else name = obj.name;
  }

  const basePrices = { ...d.basePrices };
  if (obj.basePrices !== undefined) {
    if (!isRecord(obj.basePrices))
      issues.push('basePrices: expected a mapping of GPU class to price');
    else
      for (const [cls, v] of Object.entries(obj.basePrices)) {
        if (!(GPU_CLASSES as readonly string[]).includes(cls)) {
          issues.push(`basePrices.${cls}: unknown GPU class (accepted: ${GPU_CLASSES.join(', ')})`);
          continue;
        }
        const price = baseUnits(v, `basePrices.${cls}`, issues);
        if (price !== undefined) basePrices[cls as KnownGpuClass] = price;
      }
  }

  const urgency = { ...d.urgencyMultipliersBps };
  if (obj.urgencyMultipliersBps !== undefined) {
    if (!isRecord(obj.urgencyMultipliersBps))
      issues.push('urgencyMultipliersBps: expected a mapping of urgency to basis points');
    else
      for (const u of Object.keys(obj.urgencyMultipliersBps)) {
        if (!(URGENCIES as readonly string[]).includes(u)) {
          issues.push(
            `urgencyMultipliersBps.${u}: unknown urgency (accepted: ${URGENCIES.join(', ')})`,
          );
          continue;
        }
        urgency[u as Urgency] = bpsField(
          obj.urgencyMultipliersBps,
          u,
          urgency[u as Urgency],
          1,
          1_000_000,
          issues,
          `urgencyMultipliersBps.${u}`,
        );
      }
    for (let i = 1; i < URGENCIES.length; i++) {
      const lo = URGENCIES[i - 1]!;
      const hi = URGENCIES[i]!;
      if (urgency[hi] <= urgency[lo])
        issues.push(
          `urgencyMultipliersBps: ${hi} (${urgency[hi]}) must be above ${lo} (${urgency[lo]})`,
        );
    }
  }

  const policy: PricingPolicy = {
    version: 1,
    name,
    intervalSeconds: intField(obj, 'intervalSeconds', d.intervalSeconds, 1, 86_400, issues),
    basePrices,
    urgencyMultipliersBps: urgency,
    floorBps: bpsField(obj, 'floorBps', d.floorBps, 1, 10_000, issues),
    ceilingBps: bpsField(obj, 'ceilingBps', d.ceilingBps, 10_000, 1_000_000, issues),
    maxStepBps: bpsField(obj, 'maxStepBps', d.maxStepBps, 1, 10_000, issues),
    targetUtilizationBps: bpsField(
      obj,
      'targetUtilizationBps',
      d.targetUtilizationBps,
      1,
      10_000,
      issues,
    ),
    sensitivityBps: bpsField(obj, 'sensitivityBps', d.sensitivityBps, 0, 1_000_000, issues),
    deadbandBps: bpsField(obj, 'deadbandBps', d.deadbandBps, 0, 5_000, issues),
    demandAlphaBps: bpsField(obj, 'demandAlphaBps', d.demandAlphaBps, 1, 10_000, issues),
    supplyAlphaBps: bpsField(obj, 'supplyAlphaBps', d.supplyAlphaBps, 1, 10_000, issues),
    defaultJobSeconds: intField(
      obj,
      'defaultJobSeconds',
      d.defaultJobSeconds,
      1,
      31_536_000,
      issues,
    ),
    quoteValiditySeconds: intField(
      obj,
      'quoteValiditySeconds',
      d.quoteValiditySeconds,
      10,
      86_400,
      issues,
    ),
  };
  if (policy.deadbandBps >= policy.maxStepBps && obj.deadbandBps !== undefined)
    issues.push(
      `deadbandBps (${policy.deadbandBps}) must be below maxStepBps (${policy.maxStepBps})`,
    );
  if (issues.length > 0) throw new PolicyError(source, issues);
  return policy;
}

/** Neutral price of a tier: base price of the class times the urgency multiplier. */
export function neutralPrice(
  policy: PricingPolicy,
  gpuClass: KnownGpuClass,
  urgency: Urgency,
): bigint {
  return (policy.basePrices[gpuClass] * policy.urgencyMultipliersBps[urgency]) / 10_000n;
}
