import { type Quote } from '@starminer/chain';
import { type Clock } from '@starminer/service-kit';
import { type PricingPolicy } from '../../domain/policy';
import { planQuote } from '../../domain/quote-plan';
import {
  type EngineStateSource,
  type EscrowEncoding,
  type IssuedQuotes,
  type QuoteSigner,
} from '../ports';
import {
  QuoteInputError,
  type QuoteCommand,
  type QuoteResult,
  type SignedOffer,
} from './quote.command';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_GPUS = 1024;
const MAX_DURATION_SECONDS = 30 * 86_400;

/** Checks the command; returns the client's checksummed address. */
function validate(
  cmd: QuoteCommand,
  served: ReadonlySet<string>,
  encoding: EscrowEncoding,
): string {
  const issues: string[] = [];
  if (!UUID.test(cmd.jobId)) issues.push(`job_id: expected a UUID, got "${cmd.jobId}"`);
  const client = encoding.address(cmd.client);
  if (client === undefined)
    issues.push(`client: expected a 0x-prefixed 20-byte address, got "${cmd.client}"`);
  const s = cmd.spec;
  if (!Number.isInteger(s.gpuCount) || s.gpuCount < 1 || s.gpuCount > MAX_GPUS)
    issues.push(`gpu.count: expected 1 to ${MAX_GPUS}, got ${s.gpuCount}`);
  if (
    !Number.isInteger(s.maxDurationSeconds) ||
    s.maxDurationSeconds < 1 ||
    s.maxDurationSeconds > MAX_DURATION_SECONDS
  )
    issues.push(
      `max_duration_seconds: expected 1 to ${MAX_DURATION_SECONDS}, got ${s.maxDurationSeconds}`,
    );
  const unserved = s.regionPreference.filter((r) => !served.has(r));
  if (unserved.length > 0)
    issues.push(
      `region_preference: ${unserved.map((r) => `"${r}"`).join(', ')} ${unserved.length === 1 ? 'is not a region' : 'are not regions'} this deployment serves (served: ${[...served].join(', ')})`,
    );
  if (issues.length > 0 || client === undefined) throw new QuoteInputError(issues);
  return client;
}

/**
 * Prices a job spec on the current market state and signs one escrow quote per feasible tier,
 * each with its own random nonce, so the client can fund whichever offer it picks.
 */
export class QuoteHandler {
  constructor(
    private readonly market: EngineStateSource,
    private readonly policy: PricingPolicy,
    private readonly signer: QuoteSigner,
    private readonly encoding: EscrowEncoding,
    private readonly issued: IssuedQuotes,
    private readonly clock: Clock,
    /** The regions this deployment serves: a quote naming another is refused. */
    private readonly served: ReadonlySet<string>,
  ) {}

  async quote(cmd: QuoteCommand): Promise<QuoteResult> {
    const client = validate(cmd, this.served, this.encoding);
    const { state } = await this.market.load();
    const plan = planQuote(this.policy, state.signals, state.prices, cmd.spec);
    if (!plan.feasible) return plan;
    const now = this.clock.nowMs();
    const expiry = BigInt(Math.floor(now / 1000) + this.policy.quoteValiditySeconds);
    const offers: SignedOffer[] = [];
    for (const offer of plan.offers) {
      const quote: Quote = {
        jobId: this.encoding.jobId(cmd.jobId),
        client,
        pricePerGpuSecond: offer.pricePerGpuSecond,
        maxGpuSeconds: offer.maxGpuSeconds,
        tier: this.encoding.tier(offer.tier),
        maxDuration: BigInt(cmd.spec.maxDurationSeconds),
        expiry,
        nonce: this.encoding.nonce(),
      };
      offers.push({
        ...offer,
        estimatedStart: new Date(now + offer.estimatedWaitSeconds * 1000),
        quote,
        signature: await this.signer.sign(quote),
      });
    }
    await this.issued.record(offers.map((o) => ({ quote: o.quote, tier: o.tier })));
    return {
      feasible: true,
      offers,
      signer: this.signer.address,
      chainId: this.signer.chainId,
      escrow: this.signer.escrow,
    };
  }
}
