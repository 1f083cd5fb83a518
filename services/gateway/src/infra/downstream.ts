import * as grpc from '@grpc/grpc-js';
import { chainIndexerV1, matchmakerV1, pricingV1 } from '@starminer/proto';
import { type Downstream } from '../app/ports';
import { ApiError } from '../domain/errors';

type Unary<Req, Res> = (
  req: Req,
  md: grpc.Metadata,
  opts: Partial<grpc.CallOptions>,
  cb: (e: grpc.ServiceError | null, r?: Res) => void,
) => unknown;

/** Maps a downstream gRPC failure to the public error: bad input 400, absence 404, a refused state 409, the rest 503. */
function call<Req, Res>(service: string, fn: Unary<Req, Res>, req: Req): Promise<Res> {
  return new Promise((resolve, reject) =>
    fn(req, new grpc.Metadata(), { deadline: Date.now() + 10_000 }, (err, res) => {
      if (!err) return resolve(res!);
      if (err.code === grpc.status.INVALID_ARGUMENT)
        return reject(new ApiError('INVALID_REQUEST', `${service}: ${err.details}`));
      // The owner refused the command in the aggregate's current state (cancel of a finished job).
      if (err.code === grpc.status.FAILED_PRECONDITION)
        return reject(new ApiError('CONFLICT', `${service}: ${err.details}`));
      if (err.code === grpc.status.NOT_FOUND)
        return reject(new ApiError('NOT_FOUND', `${service}: ${err.details}`));
      if (err.code === grpc.status.ALREADY_EXISTS)
        return reject(new ApiError('CONFLICT', `${service}: ${err.details}`));
      reject(
        new ApiError(
          'DOWNSTREAM_UNAVAILABLE',
          `${service} unavailable: ${err.details || err.message}`,
        ),
      );
    }),
  );
}

/** gRPC clients of the owning services, addressed from config. */
export class GrpcDownstream implements Downstream {
  readonly matchmaker: matchmakerV1.MatchmakerServiceClient;
  readonly pricing: pricingV1.PricingServiceClient;
  readonly chainIndexer: chainIndexerV1.ChainIndexerServiceClient;

  constructor(addresses: { matchmaker: string; pricing: string; chainIndexer: string }) {
    const insecure = grpc.credentials.createInsecure();
    this.matchmaker = new matchmakerV1.MatchmakerServiceClient(addresses.matchmaker, insecure);
    this.pricing = new pricingV1.PricingServiceClient(addresses.pricing, insecure);
    this.chainIndexer = new chainIndexerV1.ChainIndexerServiceClient(
      addresses.chainIndexer,
      insecure,
    );
  }

  submitJob = (r: matchmakerV1.SubmitJobRequest) =>
    call(
      'matchmaker',
      this.matchmaker.submitJob.bind(this.matchmaker) as Unary<
        typeof r,
        matchmakerV1.SubmitJobResponse
      >,
      r,
    );
  getJob = (r: matchmakerV1.GetJobRequest) =>
    call(
      'matchmaker',
      this.matchmaker.getJob.bind(this.matchmaker) as Unary<typeof r, matchmakerV1.GetJobResponse>,
      r,
    );
  cancelJob = (r: matchmakerV1.CancelJobRequest) =>
    call(
      'matchmaker',
      this.matchmaker.cancelJob.bind(this.matchmaker) as Unary<
        typeof r,
        matchmakerV1.CancelJobResponse
      >,
      r,
    );
  listJobs = (r: matchmakerV1.ListJobsRequest) =>
    call(
      'matchmaker',
      this.matchmaker.listJobs.bind(this.matchmaker) as Unary<
        typeof r,
        matchmakerV1.ListJobsResponse
      >,
      r,
    );
  quote = (r: pricingV1.QuoteRequest) =>
    call(
      'pricing',
      this.pricing.quote.bind(this.pricing) as Unary<typeof r, pricingV1.QuoteResponse>,
      r,
    );
  priceBook = (r: pricingV1.GetPriceBookRequest) =>
    call(
      'pricing',
      this.pricing.getPriceBook.bind(this.pricing) as Unary<
        typeof r,
        pricingV1.GetPriceBookResponse
      >,
      r,
    );
  balances = (r: chainIndexerV1.GetBalancesRequest) =>
    call(
      'chain-indexer',
      this.chainIndexer.getBalances.bind(this.chainIndexer) as Unary<
        typeof r,
        chainIndexerV1.GetBalancesResponse
      >,
      r,
    );
  escrow = (r: chainIndexerV1.GetEscrowRequest) =>
    call(
      'chain-indexer',
      this.chainIndexer.getEscrow.bind(this.chainIndexer) as Unary<
        typeof r,
        chainIndexerV1.GetEscrowResponse
      >,
      r,
    );

  close(): void {
    this.matchmaker.close();
    this.pricing.close();
    this.chainIndexer.close();
  }
}
