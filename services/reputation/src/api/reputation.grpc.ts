import { type handleUnaryCall, status } from '@grpc/grpc-js';
import { reputationV1 } from '@starminer/proto';
import { type GrpcServiceRegistration, unaryHandler } from '@starminer/service-kit';
import { type SortField } from '../app/ports';
import { type RewardProofQueries } from '../app/reward-proof/reward-proof.queries';
import { ScoreQueryError, type ScoreQueries, type ScoreView } from '../app/scores/score.queries';

class BadRequest extends Error {}
class NotFound extends Error {}

function unary<Req, Res>(work: (req: Req) => Promise<Res>): handleUnaryCall<Req, Res> {
  return unaryHandler(work, (err) =>
    err instanceof BadRequest || err instanceof ScoreQueryError
      ? status.INVALID_ARGUMENT
      : err instanceof NotFound
        ? status.NOT_FOUND
        : status.INTERNAL,
  );
}

const bps = (x: number) => Math.min(10_000, Math.max(0, Math.round(x * 10_000)));
const milli = (x: number) => String(Math.round(x * 1000));

function toProto(s: ScoreView, threshold: number): reputationV1.ProviderScore {
  const b = s.breakdown;
  return {
    provider: s.provider,
    scoreBps: s.scoreBps,
    jobsSucceeded: String(b.counts.succeeded),
    jobsFailed: String(b.counts.faults),
    slashes: String(b.counts.slashes),
    updatedAt: s.asOfMs > 0 ? new Date(s.asOfMs).toISOString() : undefined,
    pool: s.pool,
    excluded: s.excluded,
    exclusionThresholdBps: threshold,
    model: b.model,
    components: {
      reliabilityBps: bps(b.reliability),
      startupBps: bps(b.startup),
      runtimeBps: bps(b.runtime),
      availabilityBps: bps(b.availability),
      auxBps: bps(b.aux),
      slashFactorBps: bps(b.slashFactor),
      successWeightMilli: milli(b.successWeight),
      faultWeightMilli: milli(b.faultWeight),
    },
    quarantines: String(b.counts.quarantines),
    stake: { baseUnits: s.stake.toString() },
  };
}

const SORT: Record<reputationV1.ScoreSortField, SortField | undefined> = {
  [reputationV1.ScoreSortField.SCORE_SORT_FIELD_UNSPECIFIED]: 'score',
  [reputationV1.ScoreSortField.SCORE_SORT_FIELD_SCORE]: 'score',
  [reputationV1.ScoreSortField.SCORE_SORT_FIELD_PROVIDER]: 'provider',
  [reputationV1.ScoreSortField.SCORE_SORT_FIELD_UPDATED_AT]: 'updated',
  [reputationV1.ScoreSortField.UNRECOGNIZED]: undefined,
};

/** The gRPC ReputationService: thin mapping between protobuf messages and the use cases. */
export function reputationGrpcService(deps: {
  scores: ScoreQueries;
  proofs: RewardProofQueries | undefined;
  thresholdBps: number;
  distributor: string;
  chainId: bigint;
}): GrpcServiceRegistration {
  const t = deps.thresholdBps;
  const implementation: reputationV1.ReputationServiceServer = {
    getScore: unary(async (req: reputationV1.GetScoreRequest) => ({
      score: toProto(await deps.scores.get(req.provider, req.pool), t),
    })),
    listScores: unary(async (req: reputationV1.ListScoresRequest) => {
      const sort = SORT[req.sortBy];
      if (!sort)
        throw new BadRequest('sort_by: expected SCORE_SORT_FIELD_SCORE, _PROVIDER or _UPDATED_AT');
      const page = await deps.scores.list({
        pageSize: req.pageSize,
        pageToken: req.pageToken,
        sort,
        reverse: req.reverse,
        pools: req.pools,
        provider: req.provider,
      });
      return { scores: page.scores.map((s) => toProto(s, t)), nextPageToken: page.nextPageToken };
    }),
    explainScore: unary(async (req: reputationV1.ExplainScoreRequest) => {
      const x = await deps.scores.explain(req.provider, req.pool, req.evidenceLimit);
      return {
        score: toProto(x.score, t),
        formula: x.formula,
        evidenceTotal: x.total,
        evidence: x.contributions.map((c) => ({
          eventId: c.eventId,
          kind: c.kind,
          cause: c.cause,
          occurredAt: new Date(c.atMs).toISOString(),
          jobId: c.jobId ?? '',
          pool: c.pool ?? '',
          decayPpm: Math.round(c.decay * 1_000_000),
          effectiveWeightMilli: milli(c.effectiveWeight),
        })),
      };
    }),
    getRewardProof: unary(async (req: reputationV1.GetRewardProofRequest) => {
      if (!/^0x[0-9a-fA-F]{40}$/.test(req.account))
        throw new BadRequest('account: expected a 0x-prefixed 20-byte hex address');
      if (!deps.proofs) throw new NotFound('reward epochs are not enabled on this service');
      const found = await deps.proofs.proof(req.account, BigInt(req.epoch));
      if (!found)
        throw new NotFound(
          `no posted epoch${req.epoch !== '0' ? ` ${req.epoch}` : ''} allocates to ${req.account}`,
        );
      return {
        epoch: found.claim.epoch.toString(),
        account: found.claim.account,
        amount: { baseUnits: found.claim.amount.toString() },
        proof: found.claim.proof,
        merkleRoot: found.epoch.root,
        epochTotal: { baseUnits: found.epoch.total.toString() },
        rewardDistributor: deps.distributor,
        chainId: deps.chainId.toString(),
        postTransaction: found.epoch.postTx,
      };
    }),
  };
  return {
    name: 'starminer.reputation.v1.ReputationService',
    definition: reputationV1.ReputationServiceService,
    implementation,
    protoFile: 'starminer/reputation/v1/reputation.proto',
  };
}
