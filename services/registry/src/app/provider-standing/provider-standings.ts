import { type EventEnvelope, type NodeEvent } from '@starminer/eventing';
import { type eventsV1 } from '@starminer/proto';
import { type Clock } from '@starminer/service-kit';
import { type ProviderStanding } from '../../domain/admission';
import {
  evolveProvider,
  newProvider,
  providerChange,
  type ProviderFact,
  type ProviderState,
} from '../../domain/provider';
import {
  type Log,
  type ProviderMirror,
  type ProviderWork,
  type StakeChain,
  type UnitOfWork,
} from '../ports';

export interface ProviderStandingsDeps {
  /** The mirror read outside any transaction. */
  providers: ProviderMirror;
  chain: StakeChain;
  transactions: UnitOfWork;
  logger: Log;
  clock: Clock;
  maxAgeMs: number;
  /** Called after a provider's activation changed and committed. */
  onActivationChanged: (address: string) => void;
}

/** Why a provider is inactive, in words for NodeRejected / NodeQuarantined messages. */
export function standingOf(p: ProviderState): ProviderStanding {
  switch (p.inactiveReason) {
    case '':
      return { active: true };
    case 'NotRegistered':
      return {
        active: false,
        reason: 'NotRegistered',
        message: `provider ${p.address} does not hold the provider role in ProviderRegistry`,
      };
    case 'InsufficientStake':
      return {
        active: false,
        reason: 'InsufficientStake',
        message: `provider ${p.address} has ${p.bonded} base units bonded, below the minimum stake of ${p.minStake}`,
      };
    case 'SlashPending':
      return {
        active: false,
        reason: 'SlashPending',
        message: `provider ${p.address} was slashed at block ${p.slashBlock} and has added no stake since`,
      };
  }
}

/**
 * The Provider aggregate's use cases: apply what the chain says (events or direct reads) and
 * announce activation changes through the outbox in the same transaction.
 */
export class ProviderStandings {
  private readonly reads = new Map<string, Promise<ProviderState>>();

  constructor(private readonly d: ProviderStandingsDeps) {}

  /** The provider's standing for admission: re-read on chain when the mirror is older than maxAgeMs. */
  async standing(address: string): Promise<ProviderStanding> {
    const mirrored = await this.d.providers.get(address);
    if (mirrored && this.d.clock.nowMs() - mirrored.checkedAt.getTime() <= this.d.maxAgeMs)
      return standingOf(mirrored);
    try {
      return standingOf(await this.refresh(address));
    } catch (err) {
      const message = `the chain could not be read for provider ${address}: ${err instanceof Error ? err.message : String(err)}`;
      this.d.logger.warn('provider chain read failed', { provider: address, error: message });
      // A recent mirror is better than nothing while the RPC endpoint is away.
      if (mirrored) return standingOf(mirrored);
      return { active: false, reason: 'Unverifiable', message };
    }
  }

  /** Reads the provider on chain now (one read in flight per provider) and records it. */
  refresh(address: string): Promise<ProviderState> {
    const key = address.toLowerCase();
    let read = this.reads.get(key);
    if (!read) {
      read = (async () => {
        const s = await this.d.chain.read(key);
        const fact: ProviderFact = {
          kind: 'observed',
          block: s.block,
          registered: s.registered,
          bonded: s.bonded,
          minStake: s.minStake,
        };
        return this.d.transactions.transact((work) => this.apply(work, key, fact));
      })().finally(() => this.reads.delete(key));
      this.reads.set(key, read);
    }
    return read;
  }

  /**
   * Applies one fact inside the transaction of `work`; publishes ProviderActivated/Deactivated
   * when activation flips.
   */
  async apply(
    work: ProviderWork,
    address: string,
    fact: ProviderFact,
    cause?: { log?: eventsV1.ChainLogRef; envelope?: EventEnvelope },
  ): Promise<ProviderState> {
    const now = this.d.clock.now();
    const before = await work.providers.getForUpdate(address);
    const minStake = before?.minStake ?? (fact.kind === 'observed' ? fact.minStake : 0n);
    const after = evolveProvider(before ?? newProvider(address, minStake, now), fact, now);
    await work.providers.save(after);
    const change = providerChange(before, after);
    if (change) {
      const event: NodeEvent =
        change.type === 'activated'
          ? {
              type: 'ProviderActivated',
              provider: change.provider,
              staked: { baseUnits: change.bonded.toString() },
              cause: cause?.log,
            }
          : {
              type: 'ProviderDeactivated',
              provider: change.provider,
              reason: change.reason,
              cause: cause?.log,
            };
      await work.events.append([
        {
          aggregateId: after.address,
          event,
          ...(cause?.envelope ? { cause: cause.envelope } : {}),
        },
      ]);
      this.d.logger.info(
        change.type === 'activated' ? 'provider activated' : 'provider deactivated',
        {
          provider: after.address,
          ...(change.type === 'deactivated'
            ? { reason: change.reason }
            : { bonded: change.bonded.toString() }),
        },
      );
      // Nodes are re-assessed once this transaction has committed (a moment later); the
      // periodic resync is the backstop if it has not.
      setTimeout(() => this.d.onActivationChanged(after.address), 250).unref();
    }
    return after;
  }
}
