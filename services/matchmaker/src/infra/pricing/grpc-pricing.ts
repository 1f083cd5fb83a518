import * as grpc from '@grpc/grpc-js';
import { canonicalProductLabel, resolveGpuClass } from '@starminer/gpu-catalogue';
import { pricingV1 } from '@starminer/proto';
import { type QuoteTerms } from '../../domain/job-state';
import { InvalidRequestError } from '../../app/errors';
import { type PricingPort, type QuoteRequest } from '../../app/ports';

/**
 * PricingPort over the pricing service's gRPC Quote. Pricing answers one signed offer per
 * feasible tier; the job takes the first offer in the client's region preference, else the
 * cheapest. The quote's nonce is its id (what the escrow deposit names).
 */
export class GrpcPricing implements PricingPort {
  private readonly client: pricingV1.PricingServiceClient;

  constructor(address: string) {
    this.client = new pricingV1.PricingServiceClient(address, grpc.credentials.createInsecure());
  }

  async quote(req: QuoteRequest): Promise<QuoteTerms> {
    const res = await new Promise<pricingV1.QuoteResponse>((resolve, reject) =>
      this.client.quote(
        {
          jobId: req.jobId,
          client: req.clientAddress,
          gpu: req.spec.gpu,
          urgency: req.spec.urgency,
          regionPreference: req.spec.regionPreference,
          maxDurationSeconds: req.spec.maxDurationSeconds,
        },
        new grpc.Metadata(),
        { deadline: Date.now() + 5_000 },
        (err, r) => (err ? reject(err) : resolve(r!)),
      ),
    );
    if (res.result?.$case === 'infeasible') {
      throw new InvalidRequestError([
        { field: 'spec.gpu', reason: `cannot be priced: ${res.result.value.message}` },
      ]);
    }
    const offers = res.result?.value.offers ?? [];
    if (offers.length === 0) throw new Error('pricing returned no offer');
    const rank = (o: pricingV1.Offer) => {
      const i = req.spec.regionPreference.indexOf(o.tier?.region ?? '');
      return i < 0 ? req.spec.regionPreference.length : i;
    };
    const best = [...offers].sort(
      (a, b) =>
        rank(a) - rank(b) ||
        (BigInt(a.maxTotal?.baseUnits ?? '0') < BigInt(b.maxTotal?.baseUnits ?? '0') ? -1 : 1),
    )[0]!;
    const q = best.quote!;
    const cls = resolveGpuClass(best.tier?.gpuClass ?? '');
    return {
      quoteId: q.nonce,
      gpuProduct: cls === 'unknown' ? (best.tier?.gpuClass ?? '') : canonicalProductLabel(cls),
      region: best.tier?.region ?? '',
      pricePerGpuSecond: BigInt(
        q.pricePerGpuSecond?.baseUnits ?? best.pricePerGpuSecond?.baseUnits ?? '0',
      ),
      total: BigInt(best.maxTotal?.baseUnits ?? '0'),
      expiresAt: new Date(Number(q.expiry) * 1000).toISOString(),
      signer: q.signer,
      signature: q.signature,
      escrow: {
        tier: q.tier,
        maxGpuSeconds: BigInt(q.maxGpuSeconds || '0'),
        maxDuration: BigInt(q.maxDuration || '0'),
        chainId: BigInt(q.chainId || '0'),
        escrow: q.escrow,
      },
    };
  }

  close(): void {
    this.client.close();
  }
}
