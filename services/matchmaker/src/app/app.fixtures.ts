import { type EventEnvelope, type StarminerEvent } from '@starminer/eventing';
import { type RegionsFile } from '@starminer/service-kit';
import { type QuoteTerms } from '../domain/job-state';
import { type Logger, type PricingPort, type QuoteRequest, type ReputationPort } from './ports';

// The library's test doubles for time and ids, re-exported for the specs.
export { ManualClock, SequentialIds } from '@starminer/service-kit';

/** Shared fakes of the app-layer specs: logging, pricing, reputation, regions, envelopes. */

export const T0 = Date.UTC(2030, 0, 1);

/** Records what was logged: specs assert the warnings a use case gives instead of failing. */
export class RecordingLogger implements Logger {
  readonly lines: Array<{ level: 'info' | 'warn'; msg: string; fields: Record<string, unknown> }> =
    [];

  info(msg: unknown, fields?: unknown): void {
    this.lines.push({ level: 'info', msg: String(msg), fields: (fields ?? {}) as never });
  }

  warn(msg: unknown, fields?: unknown): void {
    this.lines.push({ level: 'warn', msg: String(msg), fields: (fields ?? {}) as never });
  }

  warnings(): string[] {
    return this.lines.filter((l) => l.level === 'warn').map((l) => l.msg);
  }
}

export function aQuote(overrides: Partial<QuoteTerms> = {}): QuoteTerms {
  return {
    quoteId: 'q-1',
    gpuProduct: 'NVIDIA-H100-80GB-HBM3',
    region: 'us-east',
    pricePerGpuSecond: 10n,
    total: 12_000n,
    expiresAt: new Date(T0 + 10 * 60_000).toISOString(),
    signer: '0x00000000000000000000000000000000000000a1',
    signature: new Uint8Array(65),
    ...overrides,
  };
}

/** Pricing that answers with `answer` (a quote, or an error to throw) and records the requests. */
export class StubPricing implements PricingPort {
  readonly requests: QuoteRequest[] = [];

  constructor(public answer: QuoteTerms | Error | ((req: QuoteRequest) => QuoteTerms) = aQuote()) {}

  async quote(req: QuoteRequest): Promise<QuoteTerms> {
    this.requests.push(req);
    if (this.answer instanceof Error) throw this.answer;
    return typeof this.answer === 'function' ? this.answer(req) : this.answer;
  }
}

export class FixedReputation implements ReputationPort {
  constructor(private readonly byProvider: ReadonlyMap<string, number> = new Map()) {}

  async scores(): Promise<ReadonlyMap<string, number>> {
    return this.byProvider;
  }
}

/** Two regions 40 ms apart and a third with no latency figures. */
export const REGIONS: RegionsFile = {
  regions: ['us-east', 'eu-west', 'ap-south'],
  rttMs: (a, b) => (a === b ? 1 : [a, b].sort().join('|') === 'eu-west|us-east' ? 40 : undefined),
};

/** An event as the consumer hands it over, from its owning service. */
export function envelope<E extends StarminerEvent>(
  event: E,
  eventId: string,
  occurredAt = new Date(T0),
): EventEnvelope<StarminerEvent> {
  return {
    eventId,
    type: event.type,
    schemaVersion: 1,
    aggregateId: '',
    aggregateVersion: 0,
    occurredAt,
    causationId: '',
    correlationId: `corr-${eventId}`,
    traceparent: '',
    tracestate: '',
    deploymentId: 'test-deployment',
    producer: 'test',
    event,
  };
}
