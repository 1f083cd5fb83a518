import { type ScopeRule } from '../consumer/event-scope';
import { type EventEnvelope } from '../envelope';

/** The contracts of one deployment, as its deployments file lists them. */
export interface DeploymentContracts {
  chainId: number;
  contracts: {
    agpu: string;
    providerRegistry: string;
    staking: string;
    rewardDistributor: string;
    jobEscrow: string;
  };
}

type ContractName = keyof DeploymentContracts['contracts'];

/** The contract whose logs each mirrored chain event comes from. */
const EMITTER: Record<string, ContractName> = {
  EscrowFunded: 'jobEscrow',
  EscrowSettled: 'jobEscrow',
  EscrowRefunded: 'jobEscrow',
  EscrowReclaimed: 'jobEscrow',
  Staked: 'staking',
  UnbondingStarted: 'staking',
  StakeWithdrawn: 'staking',
  Slashed: 'staking',
  ProviderRegistered: 'providerRegistry',
  ProviderDeregistered: 'providerRegistry',
  RewardRootPosted: 'rewardDistributor',
  RewardClaimed: 'rewardDistributor',
  TokenTransferred: 'agpu',
};

/**
 * Chain events are accepted only from this deployment's chain and, for a mirrored log, only
 * from the contract that emits that event in this deployment.
 */
export function chainEventsOf(deployment: DeploymentContracts): ScopeRule {
  const chainId = String(deployment.chainId);
  return (envelope: EventEnvelope) => {
    const event = envelope.event as {
      type: string;
      chainId?: string;
      log?: { chainId: string; contract: string };
    };
    if (event.type === 'ChainReorged')
      return event.chainId === chainId
        ? undefined
        : { reason: 'foreign_chain', detail: `reorg of chain ${event.chainId}, not ${chainId}` };
    const emitter = EMITTER[event.type];
    if (!emitter) return undefined;
    if (event.log?.chainId !== chainId)
      return {
        reason: 'foreign_chain',
        detail: `${event.type} from chain ${event.log?.chainId ?? '(none)'}, not ${chainId}`,
      };
    const expected = deployment.contracts[emitter].toLowerCase();
    if (event.log.contract.toLowerCase() !== expected)
      return {
        reason: 'foreign_contract',
        detail: `${event.type} from contract ${event.log.contract}, not ${emitter} ${expected}`,
      };
    return undefined;
  };
}

/** The region a node or price event is about; undefined for events of no region. */
function regionOf(event: { type: string; region?: unknown; tier?: { region?: unknown } }) {
  if (typeof event.region === 'string') return event.region;
  if (event.type === 'PriceUpdated' && typeof event.tier?.region === 'string')
    return event.tier.region;
  return undefined;
}

/** Node and price events are accepted only for the regions this deployment serves. */
export function servedRegions(regions: Iterable<string>): ScopeRule {
  const served = new Set(regions);
  return (envelope: EventEnvelope) => {
    if (envelope.event.type.startsWith('Job')) return undefined;
    const region = regionOf(envelope.event as { type: string });
    if (region === undefined || served.has(region)) return undefined;
    return {
      reason: 'unknown_region',
      detail: `${envelope.event.type} of region '${region}', served: ${[...served].join(', ')}`,
    };
  };
}
