import { type EventEnvelope } from '../envelope';
import { starminerRegistry, type StarminerEvent } from '../catalogue/starminer-events';
import { deploymentIdOf, deploymentScope } from '../deployment';
import { refusalOf, refusalSource } from './event-scope';

const deployment = {
  chainId: 31337,
  contracts: {
    agpu: '0x00000000000000000000000000000000000000A1',
    providerRegistry: '0x00000000000000000000000000000000000000A2',
    staking: '0x00000000000000000000000000000000000000A3',
    rewardDistributor: '0x00000000000000000000000000000000000000A4',
    jobEscrow: '0x00000000000000000000000000000000000000A5',
  },
};
const registry = starminerRegistry();
const { scope, deploymentId } = deploymentScope(deployment, {
  service: 'matchmaker',
  regions: ['us-east', 'eu-west'],
});

function envelope(
  event: StarminerEvent,
  origin: { deploymentId?: string; producer: string },
): EventEnvelope<StarminerEvent> {
  return {
    eventId: 'e1',
    type: event.type,
    schemaVersion: 1,
    aggregateId: 'a',
    aggregateVersion: 0,
    occurredAt: new Date(0),
    causationId: '',
    correlationId: '',
    traceparent: '',
    tracestate: '',
    deploymentId: origin.deploymentId ?? deploymentId,
    producer: origin.producer,
    event,
  };
}

const log = (contract: string, chainId = '31337') => ({
  chainId,
  blockNumber: '10',
  blockHash: '0x01',
  transactionHash: '0x02',
  transactionIndex: 0,
  logIndex: 0,
  contract,
});

const funded = (contract: string, chainId?: string): StarminerEvent => ({
  type: 'EscrowFunded',
  log: log(contract, chainId),
  jobId: 'j',
  client: '0xc',
  deposit: undefined,
  quoteId: 'q',
  reclaimAfter: undefined,
});

const joined = (region: string): StarminerEvent => ({
  type: 'NodeJoined',
  region,
  node: 'n1',
  provider: '0xp',
  pool: 'p',
  gpus: undefined,
});

const price = (region: string): StarminerEvent =>
  ({
    type: 'PriceUpdated',
    tier: { gpuProduct: 'H100', region, urgency: 0 },
  }) as unknown as StarminerEvent;

describe('a consumer scope', () => {
  it('names a deployment by its chain id and JobEscrow address, in lower case', () => {
    expect(deploymentIdOf(deployment)).toBe('31337:0x00000000000000000000000000000000000000a5');
  });

  it("admits its own deployment's events from each type's owner", () => {
    expect(refusalOf(scope, registry, envelope(joined('us-east'), { producer: 'registry' }))).toBe(
      undefined,
    );
    expect(
      refusalOf(
        scope,
        registry,
        envelope(funded(deployment.contracts.jobEscrow.toLowerCase()), {
          producer: 'chain-indexer',
        }),
      ),
    ).toBe(undefined);
    expect(refusalOf(scope, registry, envelope(price('eu-west'), { producer: 'pricing' }))).toBe(
      undefined,
    );
  });

  it.each([
    [
      'another deployment',
      { deploymentId: '31337:0xother', producer: 'registry' },
      'foreign_deployment',
    ],
    [
      'no deployment (written before deployments were recorded)',
      { deploymentId: '', producer: 'registry' },
      'no_deployment',
    ],
    ['a producer that does not own the type', { producer: 'pricing' }, 'wrong_producer'],
  ])('refuses an event of %s', (_what, origin, reason) => {
    const refusal = refusalOf(scope, registry, envelope(joined('us-east'), origin));
    expect(refusal?.reason).toBe(reason);
  });

  it('refuses a chain event from a contract other than the one that emits it here, or another chain', () => {
    const staking = deployment.contracts.staking;
    expect(
      refusalOf(scope, registry, envelope(funded(staking), { producer: 'chain-indexer' }))?.reason,
    ).toBe('foreign_contract');
    expect(
      refusalOf(
        scope,
        registry,
        envelope(funded(deployment.contracts.jobEscrow, '1'), { producer: 'chain-indexer' }),
      )?.reason,
    ).toBe('foreign_chain');
    const reorg = { type: 'ChainReorged', chainId: '5' } as unknown as StarminerEvent;
    expect(refusalOf(scope, registry, envelope(reorg, { producer: 'chain-indexer' }))?.reason).toBe(
      'foreign_chain',
    );
  });

  it('refuses node and price events of a region it does not serve, naming the served ones', () => {
    const node = refusalOf(scope, registry, envelope(joined('rep-x'), { producer: 'registry' }));
    expect(node).toEqual({
      reason: 'unknown_region',
      detail: "NodeJoined of region 'rep-x', served: us-east, eu-west",
    });
    expect(
      refusalOf(scope, registry, envelope(price('ap-south'), { producer: 'pricing' }))?.reason,
    ).toBe('unknown_region');
  });

  it('logs one line per forger: the source is the reason with the claimed deployment and producer', () => {
    const a = envelope(joined('us-east'), { deploymentId: 'x', producer: 'registry' });
    const refusal = refusalOf(scope, registry, a)!;
    expect(refusalSource(a, refusal)).toBe('foreign_deployment|x|registry');
  });
});
