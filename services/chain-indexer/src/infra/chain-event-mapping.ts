import { eventsV1 } from '@starminer/proto';
import { type ChainEvent } from '@starminer/eventing';
import { type DecodedLog, type ParticipantKind } from '../domain/chain-events';
import { type AggregateState } from '../domain/projection';
import { serviceJobId } from './job-ids';

/** A chain event to publish, with the aggregate id that keys it on Kafka. */
export interface OutgoingChainEvent {
  checkpoint: string;
  aggregateId: string;
  event: ChainEvent;
}

const amount = (v: bigint) => ({ baseUnits: v.toString() });
const time = (unixSeconds: bigint) => new Date(Number(unixSeconds) * 1000).toISOString();
const roles: Record<ParticipantKind, eventsV1.ChainRole> = {
  provider: eventsV1.ChainRole.CHAIN_ROLE_PROVIDER,
  validator: eventsV1.ChainRole.CHAIN_ROLE_VALIDATOR,
  client: eventsV1.ChainRole.CHAIN_ROLE_CLIENT,
};

export function logRef(l: DecodedLog): eventsV1.ChainLogRef {
  return {
    chainId: String(l.meta.chainId),
    blockNumber: String(l.meta.blockNumber),
    blockHash: l.meta.blockHash,
    transactionHash: l.meta.transactionHash,
    transactionIndex: l.meta.transactionIndex,
    logIndex: l.meta.logIndex,
    contract: l.meta.address,
  };
}

/**
 * The catalogue event (starminer.chain.v1) a log is announced as, keyed as the catalogue says:
 * escrows by job id, stakes and registrations by account, rewards by epoch. Logs the catalogue
 * has no event for (parameter changes, credit withdrawals, fee sweeps) are mirrored, not
 * published; a Transfer is published only when it touches a StarMiner contract.
 */
export function toChainEvent(
  l: DecodedLog,
  after: AggregateState | undefined,
  starminerAddresses: ReadonlySet<string>,
): OutgoingChainEvent | undefined {
  const e = l.event;
  const log = logRef(l);
  const out = (aggregateId: string, event: ChainEvent): OutgoingChainEvent => ({
    checkpoint: l.meta.checkpoint,
    aggregateId,
    event,
  });
  const bonded = after?.kind === 'stake' ? after.bonded : 0n;
  switch (e.name) {
    case 'JobFunded':
      return out(serviceJobId(e.jobId), {
        type: 'EscrowFunded',
        ...eventsV1.EscrowFunded.fromPartial({
          log,
          jobId: serviceJobId(e.jobId),
          client: e.client,
          deposit: amount(e.amount),
          quoteId: e.nonce.toString(),
          reclaimAfter: time(e.deadline),
        }),
      });
    case 'JobSettled':
      return out(serviceJobId(e.jobId), {
        type: 'EscrowSettled',
        ...eventsV1.EscrowSettled.fromPartial({
          log,
          jobId: serviceJobId(e.jobId),
          provider: e.provider,
          gpuSeconds: e.gpuSeconds.toString(),
          providerPayout: amount(e.providerAmount),
          clientRefund: amount(e.clientRefund),
          protocolFee: amount(e.fee),
        }),
      });
    case 'JobRefunded':
      return out(serviceJobId(e.jobId), {
        type: 'EscrowRefunded',
        ...eventsV1.EscrowRefunded.fromPartial({
          log,
          jobId: serviceJobId(e.jobId),
          client: e.client,
          amount: amount(e.amount),
        }),
      });
    case 'JobReclaimed':
      return out(serviceJobId(e.jobId), {
        type: 'EscrowReclaimed',
        ...eventsV1.EscrowReclaimed.fromPartial({
          log,
          jobId: serviceJobId(e.jobId),
          client: e.client,
          amount: amount(e.amount),
        }),
      });
    case 'Staked':
      return out(e.provider, {
        type: 'Staked',
        ...eventsV1.Staked.fromPartial({
          log,
          provider: e.provider,
          amount: amount(e.amount),
          totalStaked: amount(e.bonded),
        }),
      });
    case 'UnbondStarted':
      return out(e.provider, {
        type: 'UnbondingStarted',
        ...eventsV1.UnbondingStarted.fromPartial({
          log,
          provider: e.provider,
          amount: amount(e.amount),
          withdrawableAt: time(e.readyAt),
          totalStaked: amount(bonded),
        }),
      });
    case 'StakeWithdrawn':
      return out(e.provider, {
        type: 'StakeWithdrawn',
        ...eventsV1.StakeWithdrawn.fromPartial({
          log,
          provider: e.provider,
          amount: amount(e.amount),
        }),
      });
    case 'Slashed':
      return out(e.provider, {
        type: 'Slashed',
        ...eventsV1.Slashed.fromPartial({
          log,
          provider: e.provider,
          amount: amount(e.amount),
          evidenceHash: e.evidenceHash,
          jobId: '',
          totalStaked: amount(bonded),
        }),
      });
    case 'Registered':
      return out(e.account, {
        type: 'ProviderRegistered',
        ...eventsV1.ProviderRegistered.fromPartial({
          log,
          account: e.account,
          role: roles[e.kind],
          metadataUri: e.metadataUri,
        }),
      });
    case 'Deregistered':
      return out(e.account, {
        type: 'ProviderDeregistered',
        ...eventsV1.ProviderDeregistered.fromPartial({
          log,
          account: e.account,
          role: roles[e.kind],
        }),
      });
    case 'EpochPosted':
      return out(`epoch:${e.epoch}`, {
        type: 'RewardRootPosted',
        ...eventsV1.RewardRootPosted.fromPartial({
          log,
          epoch: e.epoch.toString(),
          merkleRoot: e.root,
          total: amount(e.total),
        }),
      });
    case 'Claimed':
      return out(`epoch:${e.epoch}`, {
        type: 'RewardClaimed',
        ...eventsV1.RewardClaimed.fromPartial({
          log,
          epoch: e.epoch.toString(),
          account: e.account,
          amount: amount(e.amount),
        }),
      });
    case 'Transfer':
      if (!starminerAddresses.has(e.from) && !starminerAddresses.has(e.to)) return undefined;
      return out(e.from, {
        type: 'TokenTransferred',
        ...eventsV1.TokenTransferred.fromPartial({
          log,
          from: e.from,
          to: e.to,
          amount: amount(e.value),
        }),
      });
    default:
      return undefined;
  }
}
