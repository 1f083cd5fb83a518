import { eventsV1 as v1 } from '@starminer/proto';
import { EventRegistry, type EventsOf } from './registry';
import { Topics } from './topics';

// One registry per topic/aggregate; each event's TypeScript type is its generated message
// tagged with `type`, so `switch (event.type)` narrows. Every type is at schema version 1 today;
// bump `schemaVersion` and add an upcaster when a field's meaning changes within v1.

// `producer` names the one service allowed to publish each type (the envelope's producer field;
// the broker's ACLs give each service's principal write access to its own topics only).
const job = { topic: Topics.job, producer: 'matchmaker' };
export const jobEvents = new EventRegistry()
  .register('JobSubmitted', v1.JobSubmitted, job)
  .register('JobQuoted', v1.JobQuoted, job)
  .register('JobFunded', v1.JobFunded, job)
  .register('JobQueued', v1.JobQueued, job)
  .register('JobMatched', v1.JobMatched, job)
  .register('JobDispatched', v1.JobDispatched, job)
  .register('JobStarted', v1.JobStarted, job)
  .register('JobSucceeded', v1.JobSucceeded, job)
  .register('JobFailed', v1.JobFailed, job)
  .register('JobTimedOut', v1.JobTimedOut, job)
  .register('JobCancelled', v1.JobCancelled, job)
  .register('JobOverflowed', v1.JobOverflowed, job)
  .register('JobRerouteProposed', v1.JobRerouteProposed, { ...job, producer: 'spillover' })
  .register('JobRerouted', v1.JobRerouted, job)
  .register('JobRoutingBlocked', v1.JobRoutingBlocked, job)
  .register('JobSettled', v1.JobSettled, job)
  .register('JobExpired', v1.JobExpired, job)
  .register('JobFundingReverted', v1.JobFundingReverted, job);
export type JobEvent = EventsOf<typeof jobEvents>;

const node = { topic: Topics.node, producer: 'registry' };
export const nodeEvents = new EventRegistry()
  .register('NodeJoined', v1.NodeJoined, node)
  .register('NodeCapacityChanged', v1.NodeCapacityChanged, node)
  .register('NodeQuarantined', v1.NodeQuarantined, node)
  .register('NodeRecovered', v1.NodeRecovered, node)
  .register('NodeLeft', v1.NodeLeft, node)
  .register('NodeRejected', v1.NodeRejected, node)
  .register('ProviderActivated', v1.ProviderActivated, node)
  .register('ProviderDeactivated', v1.ProviderDeactivated, node);
export type NodeEvent = EventsOf<typeof nodeEvents>;

export const marketEvents = new EventRegistry().register('PriceUpdated', v1.PriceUpdated, {
  topic: Topics.market,
  producer: 'pricing',
});
export type MarketEvent = EventsOf<typeof marketEvents>;

export const reputationEvents = new EventRegistry().register(
  'ReputationUpdated',
  v1.ReputationUpdated,
  { topic: Topics.reputation, producer: 'reputation' },
);
export type ReputationEvent = EventsOf<typeof reputationEvents>;

const chain = { topic: Topics.chain, producer: 'chain-indexer' };
export const chainEvents = new EventRegistry()
  .register('EscrowFunded', v1.EscrowFunded, chain)
  .register('EscrowSettled', v1.EscrowSettled, chain)
  .register('EscrowRefunded', v1.EscrowRefunded, chain)
  .register('EscrowReclaimed', v1.EscrowReclaimed, chain)
  .register('Staked', v1.Staked, chain)
  .register('UnbondingStarted', v1.UnbondingStarted, chain)
  .register('StakeWithdrawn', v1.StakeWithdrawn, chain)
  .register('Slashed', v1.Slashed, chain)
  .register('ProviderRegistered', v1.ProviderRegistered, chain)
  .register('ProviderDeregistered', v1.ProviderDeregistered, chain)
  .register('RewardRootPosted', v1.RewardRootPosted, chain)
  .register('RewardClaimed', v1.RewardClaimed, chain)
  .register('TokenTransferred', v1.TokenTransferred, chain)
  .register('ChainReorged', v1.ChainReorged, chain);
export type ChainEvent = EventsOf<typeof chainEvents>;

/** Every event of the catalogue; what a consumer of several topics decodes with. */
export type StarminerEvent = JobEvent | NodeEvent | MarketEvent | ReputationEvent | ChainEvent;

export function starminerRegistry(): EventRegistry<StarminerEvent> {
  return new EventRegistry()
    .include(jobEvents)
    .include(nodeEvents)
    .include(marketEvents)
    .include(reputationEvents)
    .include(chainEvents);
}
