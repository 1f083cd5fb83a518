import { status as GrpcStatus } from '@grpc/grpc-js';
import { chainIndexerV1 as v1, serviceProtoFiles } from '@starminer/proto';
import { type GrpcServiceRegistration, unaryHandler } from '@starminer/service-kit';
import { InvalidArgumentError, NotFoundError, UnavailableError } from '../app/errors';
import { type CursorView, type FlowView, type LogView } from '../app/ports';
import { type MirrorQueries } from '../app/query-mirror/mirror-queries';
import { type GetBalancesHandler } from '../app/get-balances/get-balances.handler';
import {
  RewardRootConflictError,
  type PostRewardRootHandler,
} from '../app/post-reward-root/post-reward-root.handler';
import { type RewardRootStatus } from '../domain/reward-root';
import { type EscrowStatus, type StakeState } from '../domain/projection';
import { chainJobId, serviceJobId } from '../infra/job-ids';

const escrowStatus: Record<EscrowStatus, v1.EscrowStatus> = {
  funded: v1.EscrowStatus.ESCROW_STATUS_FUNDED,
  settled: v1.EscrowStatus.ESCROW_STATUS_RELEASED,
  refunded: v1.EscrowStatus.ESCROW_STATUS_REFUNDED,
  reclaimed: v1.EscrowStatus.ESCROW_STATUS_RECLAIMED,
};
const roles: Record<string, v1.ParticipantRole> = {
  provider: v1.ParticipantRole.PARTICIPANT_ROLE_PROVIDER,
  validator: v1.ParticipantRole.PARTICIPANT_ROLE_VALIDATOR,
  client: v1.ParticipantRole.PARTICIPANT_ROLE_CLIENT,
};
const rootStatus: Record<RewardRootStatus, v1.RewardRootStatus> = {
  pending: v1.RewardRootStatus.REWARD_ROOT_STATUS_PENDING,
  submitted: v1.RewardRootStatus.REWARD_ROOT_STATUS_SUBMITTED,
  posted: v1.RewardRootStatus.REWARD_ROOT_STATUS_POSTED,
  failed: v1.RewardRootStatus.REWARD_ROOT_STATUS_FAILED,
};
const flowKinds: Record<FlowView['kind'], v1.TokenFlowKind> = {
  transfer: v1.TokenFlowKind.TOKEN_FLOW_KIND_TRANSFER,
  escrow_credit: v1.TokenFlowKind.TOKEN_FLOW_KIND_ESCROW_CREDIT,
  protocol_fee: v1.TokenFlowKind.TOKEN_FLOW_KIND_PROTOCOL_FEE,
};

const amount = (v: bigint | string | undefined) =>
  v === undefined ? undefined : { baseUnits: v.toString() };
const position = (l: LogView | undefined): v1.LogPosition | undefined =>
  l && {
    checkpoint: l.checkpoint,
    blockNumber: String(l.blockNumber),
    blockHash: l.blockHash,
    transactionHash: l.transactionHash,
    transactionIndex: l.transactionIndex,
    logIndex: l.logIndex,
  };
const cursor = (c: CursorView | undefined): v1.ChainCursor | undefined =>
  c && {
    chainId: String(c.chainId),
    blockNumber: String(c.blockNumber),
    blockHash: c.blockHash,
    finalizedBlockNumber: String(c.finalizedNumber),
  };
const stake = (s: StakeState, updated?: LogView): v1.Stake => ({
  provider: s.provider,
  staked: amount(s.bonded),
  unbonding: amount(s.unbonding),
  slashed: amount(s.slashed),
  unbondReadyAt: s.unbondReadyAt.toString(),
  withdrawn: amount(s.withdrawn),
  updatedAt: position(updated),
});
const flow = (f: FlowView): v1.TokenFlow => ({
  kind: flowKinds[f.kind],
  from: f.from,
  to: f.to,
  amount: amount(f.amount),
  jobId: f.jobId ? serviceJobId(f.jobId) : '',
  log: position(f.log),
  cursor: f.cursor,
});

function jobArg(jobId: string): string {
  try {
    return chainJobId(jobId);
  } catch {
    throw new InvalidArgumentError(`job_id '${jobId}' is neither a UUID nor a 0x-prefixed bytes32`);
  }
}

/** Thin adapter: each call delegates to the mirror queries; errors map to gRPC status codes. */
function unary<Req, Res>(fn: (req: Req) => Promise<Res>) {
  return unaryHandler(fn, (err) =>
    err instanceof InvalidArgumentError
      ? GrpcStatus.INVALID_ARGUMENT
      : err instanceof NotFoundError
        ? GrpcStatus.NOT_FOUND
        : err instanceof UnavailableError
          ? GrpcStatus.UNAVAILABLE
          : err instanceof RewardRootConflictError
            ? GrpcStatus.ALREADY_EXISTS
            : GrpcStatus.INTERNAL,
  );
}

export function chainIndexerGrpcService(
  q: MirrorQueries,
  balances: GetBalancesHandler,
  rewardRoots: PostRewardRootHandler,
): GrpcServiceRegistration {
  const implementation: v1.ChainIndexerServiceServer = {
    getEscrow: unary(async (req: v1.GetEscrowRequest) => {
      const { escrow: e, funded, closed } = await q.escrow(jobArg(req.jobId));
      return {
        escrow: {
          jobId: serviceJobId(e.jobId),
          chainJobId: e.jobId,
          client: e.client,
          deposit: amount(e.amount),
          status: escrowStatus[e.status],
          updatedAtBlock: String(e.blockNumber),
          pricePerGpuSecond: amount(e.pricePerGpuSecond),
          maxGpuSeconds: e.maxGpuSeconds.toString(),
          tier: e.tier,
          deadline: e.deadline.toString(),
          quoteNonce: e.nonce.toString(),
          provider: e.provider ?? '',
          gpuSeconds: (e.gpuSeconds ?? 0n).toString(),
          providerPayout: amount(e.providerPayout),
          clientRefund: amount(e.clientRefund),
          protocolFee: amount(e.fee),
          fundedAt: position(funded),
          closedAt: position(closed),
        },
        cursor: cursor(await q.cursor()),
      };
    }),
    getStake: unary(async (req: v1.GetStakeRequest) => {
      const s = await q.stake(req.provider);
      return { stake: stake(s.stake, s.updated), cursor: cursor(await q.cursor()) };
    }),
    getProvider: unary(async (req: v1.GetProviderRequest) => {
      const p = await q.provider(req.account);
      return {
        provider: {
          account: p.participant.account,
          roles: p.participant.roles.map((r) => roles[r]!),
          metadataUri: p.participant.metadataUri,
          regions: p.participant.regions,
          stake: stake(p.stake),
          active: p.active,
          updatedAt: position(p.updated),
        },
        cursor: cursor(await q.cursor()),
      };
    }),
    listTokenFlowsByAddress: unary(async (req: v1.ListTokenFlowsByAddressRequest) => {
      const page = await q.flowsByAddress(
        req.address,
        req.pageSize,
        req.pageToken,
        req.newestFirst,
      );
      return {
        flows: page.flows.map(flow),
        nextPageToken: page.nextPageToken,
        cursor: cursor(await q.cursor()),
      };
    }),
    listTokenFlowsByJob: unary(async (req: v1.ListTokenFlowsByJobRequest) => {
      const page = await q.flowsByJob(
        jobArg(req.jobId),
        req.pageSize,
        req.pageToken,
        req.newestFirst,
      );
      return {
        flows: page.flows.map(flow),
        nextPageToken: page.nextPageToken,
        cursor: cursor(await q.cursor()),
      };
    }),
    getBalances: unary(async (req: v1.GetBalancesRequest) => {
      const b = await balances.handle(req.address);
      return {
        address: b.address,
        agpuBalance: amount(b.agpuBalance),
        escrowed: amount(b.escrowed),
        escrowedJobs: b.escrowedJobs,
        withdrawable: amount(b.withdrawable),
        refunded: amount(b.refunded),
        cursor: cursor(b.cursor),
      };
    }),
    postRewardRoot: unary(async (req: v1.PostRewardRootRequest) => {
      const r = await rewardRoots.request({
        epoch: req.epoch,
        root: req.root,
        total: req.total?.baseUnits ?? '',
        retryFailed: req.retryFailed,
      });
      return {
        epoch: r.epoch.toString(),
        root: r.root,
        total: amount(r.total),
        status: rootStatus[r.status],
        transactionHash: r.txHash,
        detail: r.detail,
        rewardDistributor: rewardRoots.distributor,
        chainId: String(rewardRoots.chainId),
      };
    }),
  };
  return {
    name: 'starminer.chain_indexer.v1.ChainIndexerService',
    definition: v1.ChainIndexerServiceService,
    implementation,
    protoFile: serviceProtoFiles['chain-indexer'],
  };
}
