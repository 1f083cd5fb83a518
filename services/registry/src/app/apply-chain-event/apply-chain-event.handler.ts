import { type ChainEvent, type EventEnvelope, type StarminerEvent } from '@starminer/eventing';
import { eventsV1 } from '@starminer/proto';
import { type ProviderFact } from '../../domain/provider';
import { type Log, type ProviderMirror, type ProviderWork } from '../ports';
import { type ProviderStandings } from '../provider-standing/provider-standings';

const blockOf = (log: eventsV1.ChainLogRef | undefined) => Number(log?.blockNumber ?? 0);
const amount = (a: { baseUnits: string } | undefined) => BigInt(a?.baseUnits || '0');

/** The provider fact a chain event carries, if it is about a provider of this deployment. */
export function providerFactOf(
  e: ChainEvent,
  contracts: { staking: string; providerRegistry: string },
): { address: string; fact: ProviderFact; log?: eventsV1.ChainLogRef } | undefined {
  const from = (log: eventsV1.ChainLogRef | undefined, c: string) =>
    !log?.contract || log.contract.toLowerCase() === c;
  switch (e.type) {
    case 'ProviderRegistered':
    case 'ProviderDeregistered':
      if (
        e.role !== eventsV1.ChainRole.CHAIN_ROLE_PROVIDER ||
        !from(e.log, contracts.providerRegistry)
      )
        return undefined;
      return {
        address: e.account.toLowerCase(),
        fact: {
          kind: e.type === 'ProviderRegistered' ? 'registered' : 'deregistered',
          block: blockOf(e.log),
        },
        log: e.log,
      };
    case 'Staked':
    case 'UnbondingStarted':
    case 'Slashed':
      if (!from(e.log, contracts.staking)) return undefined;
      return {
        address: e.provider.toLowerCase(),
        fact: {
          kind: e.type === 'Staked' ? 'staked' : e.type === 'Slashed' ? 'slashed' : 'unbonding',
          block: blockOf(e.log),
          bonded: amount(e.totalStaked),
        },
        log: e.log,
      };
    default:
      return undefined;
  }
}

/**
 * Consumes the chain-indexer's events: stake and role changes update the Provider aggregate in
 * the consumer's transaction (`work`, with the inbox row), and a reorg rewinds every provider
 * above the common ancestor, then re-reads them on chain.
 */
export class ApplyChainEventHandler {
  constructor(
    private readonly standings: ProviderStandings,
    private readonly providers: ProviderMirror,
    private readonly contracts: { staking: string; providerRegistry: string },
    private readonly logger: Log,
  ) {}

  async handle(env: EventEnvelope<StarminerEvent>, work: ProviderWork): Promise<void> {
    const e = env.event as ChainEvent;
    if (e.type === 'ChainReorged') {
      const ancestor = Number(e.commonAncestorNumber);
      const all = await this.providers.list();
      const touched = all.filter((p) => p.stakeBlock > ancestor || p.slashBlock > ancestor);
      for (const p of touched)
        await this.standings.apply(
          work,
          p.address,
          { kind: 'reorged', ancestorBlock: ancestor },
          { envelope: env },
        );
      // Fresh reads after the commit replace what the voided logs had said.
      setTimeout(
        () => touched.forEach((p) => void this.standings.refresh(p.address).catch(() => undefined)),
        250,
      ).unref();
      this.logger.info('chain reorg applied to providers', { ancestor, providers: touched.length });
      return;
    }
    const f = providerFactOf(e, this.contracts);
    if (!f) return;
    await this.standings.apply(work, f.address, f.fact, { log: f.log, envelope: env });
  }
}
