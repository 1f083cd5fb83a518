import { type Pool } from 'pg';
import { isAddress, getAddress } from 'ethers';
import { jobIdFromUuid, randomQuoteNonce, toBytes32, type Quote } from '@starminer/chain';
import { type PricingPolicy } from '../../domain/policy';
import { planQuote } from '../../domain/quote-plan';
import { type Clock } from '../../infra/clock';
import { type EngineRepository } from '../../infra/engine-repository';
import { type IssuedQuotesRepository } from '../../infra/issued-quotes-repository';
import { type QuoteSigner } from '../../infra/quote-signer';
import {
  QuoteInputError,
  type QuoteCommand,
  type QuoteResult,
  type SignedOffer,
} from './quote.command';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_GPUS = 1024;
const MAX_DURATION_SECONDS = 30 * 86_400;

function validate(cmd: QuoteCommand, served: ReadonlySet<string>): void {
  const issues: string[] = [];
  if (!UUID.test(cmd.jobId)) issues.push(`job_id: expected a UUID, got "${cmd.jobId}"`);
  if (!isAddress(cmd.client))
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
  if (issues.length > 0) throw new QuoteInputError(issues);
}

/**
 * Prices a job spec on the current market state and signs one escrow quote per feasible tier,
 * each with its own random nonce, so the client can fund whichever offer it picks.
 */
export class QuoteHandler {
  constructor(
    private readonly pool: Pool,
    private readonly engine: EngineRepository,
    private readonly policy: PricingPolicy,
    private readonly signer: QuoteSigner,
    private readonly issued: IssuedQuotesRepository,
    private readonly clock: Clock,
    /** The regions this deployment serves: a quote naming another is refused. */
    private readonly served: ReadonlySet<string>,
  ) {}

  async quote(cmd: QuoteCommand): Promise<QuoteResult> {
    validate(cmd, this.served);
    const { state } = await this.engine.load(this.pool);
    const plan = planQuote(this.policy, state.signals, state.prices, cmd.spec);
    if (!plan.feasible) return plan;
    const now = this.clock.nowMs();
    const expiry = BigInt(Math.floor(now / 1000) + this.policy.quoteValiditySeconds);
    const client = getAddress(cmd.client);
    const offers: SignedOffer[] = [];
    for (const offer of plan.offers) {
      const quote: Quote = {
        jobId: jobIdFromUuid(cmd.jobId),
        client,
        pricePerGpuSecond: offer.pricePerGpuSecond,
        maxGpuSeconds: offer.maxGpuSeconds,
        tier: toBytes32(offer.tier),
        maxDuration: BigInt(cmd.spec.maxDurationSeconds),
        expiry,
        nonce: randomQuoteNonce(),
      };
      offers.push({
        ...offer,
        estimatedStart: new Date(now + offer.estimatedWaitSeconds * 1000),
        quote,
        signature: await this.signer.sign(quote),
      });
    }
    await this.issued.record(
      this.pool,
      offers.map((o) => ({ quote: o.quote, tier: o.tier })),
    );
    return {
      feasible: true,
      offers,
      signer: this.signer.address,
      chainId: this.signer.chainId,
      escrow: this.signer.escrow,
    };
  }
}
