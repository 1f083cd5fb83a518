import { type handleUnaryCall, status } from '@grpc/grpc-js';
import { commonV1, pricingV1 } from '@starminer/proto';
import { type GrpcServiceRegistration, unaryHandler } from '@starminer/service-kit';
import { PageTokenError, type PriceIndexQueries } from '../app/price-index/price-index.queries';
import { QuoteInputError, type QuoteResult } from '../app/quote/quote.command';
import { type QuoteHandler } from '../app/quote/quote.handler';
import { type InfeasibleReason } from '../domain/quote-plan';
import { tierKey, type Urgency } from '../domain/tier';
import { PROTO_URGENCY, urgencyOf } from '../app/event-mapping';
import { type StoredPrice } from '../app/ports';

const REASON: Record<InfeasibleReason, pricingV1.InfeasibleReason> = {
  'unknown-gpu-product': pricingV1.InfeasibleReason.INFEASIBLE_REASON_UNKNOWN_GPU_PRODUCT,
  'no-supply-for-product': pricingV1.InfeasibleReason.INFEASIBLE_REASON_NO_SUPPLY_FOR_PRODUCT,
  'no-gpu-with-vram': pricingV1.InfeasibleReason.INFEASIBLE_REASON_NO_GPU_WITH_VRAM,
  'too-many-gpus': pricingV1.InfeasibleReason.INFEASIBLE_REASON_TOO_MANY_GPUS,
};

const amount = (v: bigint) => ({ baseUnits: v.toString() });
const tierOf = (t: { gpuClass: string; region: string; urgency: Urgency }): pricingV1.Tier => ({
  gpuClass: t.gpuClass,
  region: t.region,
  urgency: PROTO_URGENCY[t.urgency],
});

class BadRequest extends Error {}

function requireUrgency(u: commonV1.Urgency, field: string): Urgency {
  const urgency = urgencyOf(u);
  if (!urgency)
    throw new BadRequest(
      `${field}: required, one of URGENCY_LOW, URGENCY_NORMAL, URGENCY_HIGH, URGENCY_CRITICAL`,
    );
  return urgency;
}

function unary<Req, Res>(work: (req: Req) => Promise<Res>): handleUnaryCall<Req, Res> {
  return unaryHandler(work, (err) =>
    err instanceof BadRequest || err instanceof QuoteInputError || err instanceof PageTokenError
      ? status.INVALID_ARGUMENT
      : status.INTERNAL,
  );
}

function toQuoteResponse(r: QuoteResult): pricingV1.QuoteResponse {
  if (!r.feasible)
    return {
      result: { $case: 'infeasible', value: { reason: REASON[r.reason], message: r.message } },
    };
  return {
    result: {
      $case: 'offers',
      value: {
        offers: r.offers.map((o) => ({
          tier: tierOf(o),
          pricePerGpuSecond: amount(o.pricePerGpuSecond),
          maxTotal: amount(o.maxTotal),
          estimatedStart: o.estimatedStart.toISOString(),
          freeGpus: o.freeGpus,
          quote: {
            jobId: o.quote.jobId,
            client: o.quote.client,
            pricePerGpuSecond: amount(o.quote.pricePerGpuSecond),
            maxGpuSeconds: o.quote.maxGpuSeconds.toString(),
            tier: o.quote.tier,
            maxDuration: o.quote.maxDuration.toString(),
            expiry: o.quote.expiry.toString(),
            nonce: o.quote.nonce.toString(),
            chainId: r.chainId.toString(),
            escrow: r.escrow,
            signer: r.signer,
            signature: Buffer.from(o.signature.slice(2), 'hex'),
          },
        })),
      },
    },
  };
}

const tierPrice = (p: StoredPrice): pricingV1.TierPrice => ({
  tier: tierOf(p),
  pricePerGpuSecond: amount(p.price),
  updatedAt: p.at.toISOString(),
  queuedGpus: p.queuedGpus,
  freeGpus: p.freeGpus,
});

function optionalDate(v: string | undefined, field: string): Date | undefined {
  if (!v) return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new BadRequest(`${field}: not a timestamp`);
  return d;
}

/** The gRPC PricingService: thin mapping between protobuf messages and the use cases. */
export function pricingGrpcService(deps: {
  quote: QuoteHandler;
  index: PriceIndexQueries;
  strategyId: string;
}): GrpcServiceRegistration {
  const implementation: pricingV1.PricingServiceServer = {
    quote: unary(async (req: pricingV1.QuoteRequest) =>
      toQuoteResponse(
        await deps.quote.quote({
          jobId: req.jobId,
          client: req.client,
          spec: {
            gpuProduct: req.gpu?.product ?? '',
            minVramMiB: req.gpu?.minVramMib ?? 0,
            gpuCount: req.gpu?.count ?? 0,
            urgency: requireUrgency(req.urgency, 'urgency'),
            regionPreference: req.regionPreference,
            maxDurationSeconds: req.maxDurationSeconds,
          },
        }),
      ),
    ),
    getPriceBook: unary(async (req: pricingV1.GetPriceBookRequest) => {
      const book = await deps.index.book(req.region);
      return {
        version: book.version.toString(),
        prices: book.prices.map(tierPrice),
        strategy: deps.strategyId,
      };
    }),
    getPriceHistory: unary(async (req: pricingV1.GetPriceHistoryRequest) => {
      const t = req.tier;
      if (!t?.gpuClass || !t.region)
        throw new BadRequest('tier: gpu_class and region are required');
      const page = await deps.index.history({
        tier: tierKey({
          gpuClass: t.gpuClass as never,
          region: t.region,
          urgency: requireUrgency(t.urgency, 'tier.urgency'),
        }),
        from: optionalDate(req.from, 'from'),
        to: optionalDate(req.to, 'to'),
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      });
      return {
        points: page.points.map((p) => ({
          at: p.at.toISOString(),
          pricePerGpuSecond: amount(p.price),
          previousPricePerGpuSecond: amount(p.previous),
          queuedGpus: p.queuedGpus,
          freeGpus: p.freeGpus,
        })),
        nextPageToken: page.nextPageToken,
      };
    }),
  };
  return {
    name: 'starminer.pricing.v1.PricingService',
    definition: pricingV1.PricingServiceService,
    implementation,
    protoFile: 'starminer/pricing/v1/pricing.proto',
  };
}
