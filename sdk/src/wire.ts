import {
  type Job,
  type JobClass,
  type JobState,
  JOB_CLASSES,
  JOB_STATES,
  type QuoteOffer,
  type QuoteResult,
  type SignedQuote,
  type TierPrice,
  type Urgency,
  URGENCIES,
  type WatchEvent,
} from './types';

/**
 * Turns what the gateway sends (ts-proto messages: as JSON over REST, as objects over gRPC) into
 * the SDK's plain types. The two differ only in bytes (Buffer JSON vs Buffer) and in enums
 * (numbers, or names on some REST fields), so one tolerant mapping serves both transports.
 */

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw => (typeof v === 'object' && v !== null ? (v as Raw) : {});
const str = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : '';
const num = (v: unknown): number => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : 0;
  return Number.isFinite(n) ? n : 0;
};
const amount = (v: unknown): string => str(obj(v).baseUnits) || '0';
const timestamp = (v: unknown): string =>
  v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : '';

/** Bytes in any of their wire forms (Buffer, Uint8Array, Buffer JSON, base64, 0x hex) as 0x hex. */
export function hexOf(v: unknown): string {
  if (v instanceof Uint8Array) return `0x${Buffer.from(v).toString('hex')}`;
  const o = obj(v);
  if (o.type === 'Buffer' && Array.isArray(o.data))
    return `0x${Buffer.from(o.data as number[]).toString('hex')}`;
  if (typeof v === 'string') {
    if (/^0x[0-9a-fA-F]*$/.test(v)) return v.toLowerCase();
    if (v === '') return '0x';
    return `0x${Buffer.from(v, 'base64').toString('hex')}`;
  }
  return '0x';
}

/** An enum given as its number or its proto name, as the lower-case word after the prefix. */
function enumWord<T extends string>(
  v: unknown,
  prefix: string,
  byNumber: readonly T[],
): T | 'unspecified' {
  if (typeof v === 'number') return byNumber[v - 1] ?? 'unspecified';
  if (typeof v === 'string') {
    const w = v.replace(new RegExp(`^${prefix}`), '').toLowerCase();
    if ((byNumber as readonly string[]).includes(w)) return w as T;
  }
  return 'unspecified';
}

export const urgencyOf = (v: unknown): Urgency | 'unspecified' =>
  enumWord(v, 'URGENCY_', URGENCIES);
export const jobClassOf = (v: unknown): JobClass | 'unspecified' =>
  enumWord(v, 'JOB_CLASS_', JOB_CLASSES);

/** A job state from its enum number, "JOB_STATE_RUNNING" or "RUNNING". */
export function stateOf(v: unknown): JobState {
  if (typeof v === 'number') return JOB_STATES[v - 1] ?? 'SUBMITTED';
  const name = str(v).replace(/^JOB_STATE_/, '') as JobState;
  return JOB_STATES.includes(name) ? name : 'SUBMITTED';
}

export function urgencyNumber(u: Urgency | undefined): number {
  return u ? URGENCIES.indexOf(u) + 1 : 0;
}

export function jobClassNumber(c: JobClass): number {
  return JOB_CLASSES.indexOf(c) + 1;
}

export function jobStateNumber(s: JobState): number {
  return JOB_STATES.indexOf(s) + 1;
}

export function toJob(raw: unknown, template = ''): Job {
  const j = obj(raw);
  const spec = obj(j.spec);
  const gpu = obj(spec.gpu);
  const placement = j.placement ? obj(j.placement) : undefined;
  const quote = j.quote ? obj(j.quote) : undefined;
  return {
    jobId: str(j.jobId),
    client: str(j.client),
    state: stateOf(j.state),
    template: template || str(j.template),
    urgency: urgencyOf(spec.urgency),
    jobClass: jobClassOf(spec.jobClass),
    regionPreference: Array.isArray(spec.regionPreference)
      ? (spec.regionPreference as unknown[]).map(str)
      : [],
    gpu: {
      product: str(gpu.product),
      count: num(gpu.count),
      minVramMib: num(gpu.minVramMib),
    },
    maxDurationSeconds: num(spec.maxDurationSeconds),
    image: str(obj(spec.workload).image),
    ...(placement && str(placement.region)
      ? {
          placement: {
            region: str(placement.region),
            provider: str(placement.provider),
            pool: str(placement.pool),
          },
        }
      : {}),
    ...(quote && str(quote.quoteId)
      ? {
          quote: {
            quoteId: str(quote.quoteId),
            gpuProduct: str(quote.gpuProduct),
            region: str(quote.region),
            pricePerGpuSecond: amount(quote.pricePerGpuSecond),
            total: amount(quote.total),
            expiresAt: timestamp(quote.expiresAt),
            signer: str(quote.signer),
            signature: hexOf(quote.signature),
          },
        }
      : {}),
    gpuSeconds: num(j.gpuSeconds),
    cost: amount(j.cost),
    endReason: str(j.endReason),
    submittedAt: timestamp(j.submittedAt),
    updatedAt: timestamp(j.updatedAt),
    attempt: num(j.attempt),
  };
}

function toSignedQuote(raw: unknown): SignedQuote | undefined {
  if (!raw) return undefined;
  const q = obj(raw);
  return {
    jobId: str(q.jobId),
    client: str(q.client),
    pricePerGpuSecond: amount(q.pricePerGpuSecond),
    maxGpuSeconds: str(q.maxGpuSeconds) || '0',
    tier: str(q.tier),
    maxDuration: str(q.maxDuration) || '0',
    expiry: str(q.expiry) || '0',
    nonce: str(q.nonce),
    chainId: str(q.chainId) || '0',
    escrow: str(q.escrow),
    signer: str(q.signer),
    signature: hexOf(q.signature),
  };
}

/** A pricing.v1 QuoteResponse (`result` a ts-proto oneof `{$case, value}`). */
export function toQuoteResult(raw: unknown): QuoteResult {
  const result = obj(obj(raw).result);
  const value = obj(result.value);
  if (result.$case === 'infeasible')
    return { feasible: false, reason: str(value.reason), message: str(value.message) };
  const offers = Array.isArray(value.offers) ? (value.offers as unknown[]) : [];
  return {
    feasible: true,
    offers: offers.map((o): QuoteOffer => {
      const offer = obj(o);
      const tier = obj(offer.tier);
      const quote = toSignedQuote(offer.quote);
      return {
        tier: {
          gpuClass: str(tier.gpuClass),
          region: str(tier.region),
          urgency: urgencyOf(tier.urgency),
        },
        pricePerGpuSecond: amount(offer.pricePerGpuSecond),
        maxTotal: amount(offer.maxTotal),
        ...(offer.estimatedStart ? { estimatedStart: timestamp(offer.estimatedStart) } : {}),
        freeGpus: num(offer.freeGpus),
        ...(quote ? { quote } : {}),
      };
    }),
  };
}

/** A watch message (REST SSE data or gRPC WatchJobResponse). */
export function toWatchEvent(jobId: string, raw: unknown): WatchEvent {
  const m = obj(raw);
  return {
    jobId,
    eventType: str(m.eventType) || 'Snapshot',
    state: stateOf(m.state),
    progressPercent: num(m.progressPercent),
    occurredAt: timestamp(m.occurredAt),
    final: m.final === true,
    ...(m.job ? { job: toJob(m.job) } : {}),
  };
}

export function toTierPrices(raw: unknown): TierPrice[] {
  const prices = obj(raw).prices;
  return (Array.isArray(prices) ? (prices as unknown[]) : []).map((p) => {
    const tp = obj(p);
    const tier = obj(tp.tier);
    return {
      gpuClass: str(tier.gpuClass),
      region: str(tier.region),
      urgency: urgencyOf(tier.urgency),
      pricePerGpuSecond: amount(tp.pricePerGpuSecond),
      updatedAt: timestamp(tp.updatedAt),
      queuedGpus: num(tp.queuedGpus),
      freeGpus: num(tp.freeGpus),
    };
  });
}
