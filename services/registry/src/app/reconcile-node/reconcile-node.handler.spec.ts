import { h100Node, provider as P } from '../../../test/support/node-fixtures';
import { type NodeObservation } from '../../domain/node';
import { ManualClock } from '@starminer/service-kit';
import { ProviderStandings } from '../provider-standing/provider-standings';
import {
  FakeSignatures,
  FakeStakeChain,
  InMemoryRegistry,
  RecordingLog,
  signatureOf,
} from '../registry.fixtures';
import { FakeRegionWatch } from '../region-watch.fixtures';
import { ReconcileNodeHandler } from './reconcile-node.handler';

/** An H100 node of us-east signed by its provider (in the fake signature scheme). */
function signedNode(over: Partial<NodeObservation> = {}, labels: Record<string, string> = {}) {
  const obs = h100Node(over, labels);
  const id = { node: obs.name, uid: obs.uid, region: obs.region, provider: P };
  return { ...obs, signature: over.signature ?? signatureOf(id) };
}

function setup() {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const registry = new InMemoryRegistry();
  const chain = new FakeStakeChain();
  chain.set(P, 5_000n);
  const log = new RecordingLog();
  const signatures = new FakeSignatures();
  const standings = new ProviderStandings({
    providers: registry.providerMirror,
    chain,
    transactions: registry,
    logger: log,
    clock,
    maxAgeMs: 60_000,
    onActivationChanged: () => undefined,
  });
  const handler = new ReconcileNodeHandler({
    transactions: registry,
    standings,
    signatures,
    logger: log,
    clock,
  });
  const watch = new FakeRegionWatch('us-east');
  const nodeEvents = () =>
    registry.outbox
      .filter((e) => e.aggregateId === 'us-east/n1')
      .map((e) => `${e.aggregateVersion} ${e.event.type}`);
  return { clock, registry, chain, log, signatures, handler, watch, nodeEvents };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('ReconcileNodeHandler', () => {
  it('admits a signed node of an active provider, announces it at version 1 and lifts its taint', async () => {
    const { clock, registry, signatures, handler, watch, nodeEvents } = setup();
    watch.nodes.set('n1', signedNode());

    const record = await handler.handle(watch, 'n1');
    expect(record).toMatchObject({
      status: 'admitted',
      provider: P,
      gpuClass: 'H100-80GB',
      verified: true,
      version: 1,
      updatedAt: clock.now(),
    });
    expect(registry.nodes.get('us-east/n1')).toEqual(record);
    expect(nodeEvents()).toEqual(['1 NodeJoined']);
    expect(registry.outbox.find((e) => e.event.type === 'NodeJoined')?.event).toEqual({
      type: 'NodeJoined',
      region: 'us-east',
      node: 'n1',
      provider: P,
      pool: 'h100-a',
      gpus: { product: 'NVIDIA-H100-80GB-HBM3', count: 8, memoryMib: 81559 },
    });
    expect(watch.marks.get('n1')).toEqual({ status: 'admitted', reason: '', taint: undefined });

    // Nothing changed: nothing written, nothing marked again, the signature not checked again.
    await handler.handle(watch, 'n1');
    expect(nodeEvents()).toEqual(['1 NodeJoined']);
    expect(watch.markWrites).toBe(1);
    expect(signatures.checks).toBe(1);
  });

  it('rejects and taints a node signed by someone else than its provider', async () => {
    const { registry, handler, watch, nodeEvents } = setup();
    watch.nodes.set('n1', signedNode({ signature: 'signed:someone-else' }));
    const record = await handler.handle(watch, 'n1');
    expect(record).toMatchObject({ status: 'rejected', reason: 'BadSignature', verified: false });
    expect(nodeEvents()).toEqual(['1 NodeRejected']);
    expect(watch.marks.get('n1')).toEqual({
      status: 'rejected',
      reason: 'BadSignature',
      taint: 'BadSignature',
    });
    expect(registry.providers.size).toBe(0);
  });

  it('rejects a node of a provider below the minimum stake, with the reason in words', async () => {
    const { chain, handler, watch } = setup();
    chain.set(P, 10n);
    watch.nodes.set('n1', signedNode());
    expect(await handler.handle(watch, 'n1')).toMatchObject({
      status: 'rejected',
      reason: 'InsufficientStake',
      message: `provider ${P} has 10 base units bonded, below the minimum stake of 1000`,
    });
  });

  it('quarantines an admitted node that goes NotReady, and lets it recover', async () => {
    const { handler, watch, nodeEvents } = setup();
    watch.nodes.set('n1', signedNode());
    await handler.handle(watch, 'n1');
    watch.nodes.set('n1', signedNode({ ready: 'False' }));
    expect(await handler.handle(watch, 'n1')).toMatchObject({
      status: 'quarantined',
      reason: 'NotReady',
      version: 2,
    });
    expect(watch.marks.get('n1')?.taint).toBe('NotReady');
    watch.nodes.set('n1', signedNode());
    await handler.handle(watch, 'n1');
    expect(nodeEvents()).toEqual(['1 NodeJoined', '2 NodeQuarantined', '3 NodeRecovered']);
    expect(watch.marks.get('n1')?.taint).toBeUndefined();
  });

  it('takes a node missing from a synced cache as gone, and decides nothing while the cache is not synced', async () => {
    const { registry, handler, watch, nodeEvents } = setup();
    watch.nodes.set('n1', signedNode());
    await handler.handle(watch, 'n1');
    watch.nodes.delete('n1');

    watch.isSynced = false;
    expect(await handler.handle(watch, 'n1')).toBeUndefined();
    expect(registry.nodes.has('us-east/n1')).toBe(true);

    watch.isSynced = true;
    expect(await handler.handle(watch, 'n1')).toBeUndefined();
    expect(registry.nodes.has('us-east/n1')).toBe(false);
    expect(nodeEvents()).toEqual(['1 NodeJoined', '2 NodeLeft']);
  });

  it('stores a heartbeat alone at most once a minute', async () => {
    const { registry, handler, watch } = setup();
    const beat = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);
    watch.nodes.set('n1', signedNode({ lastHeartbeat: beat(0) }));
    await handler.handle(watch, 'n1');
    watch.nodes.set('n1', signedNode({ lastHeartbeat: beat(30_000) }));
    await handler.handle(watch, 'n1');
    expect(registry.nodes.get('us-east/n1')?.lastHeartbeat).toEqual(beat(0));
    watch.nodes.set('n1', signedNode({ lastHeartbeat: beat(60_000) }));
    await handler.handle(watch, 'n1');
    expect(registry.nodes.get('us-east/n1')?.lastHeartbeat).toEqual(beat(60_000));
    expect(registry.outbox.filter((e) => e.aggregateId === 'us-east/n1')).toHaveLength(1);
  });

  it('warns once about a product that is not in the catalogue, and admits it as unknown', async () => {
    const { log, handler, watch } = setup();
    const labels = { 'nvidia.com/gpu.product': 'ACME-X1', 'nvidia.com/gpu.memory': '65536' };
    watch.nodes.set('n1', signedNode({}, labels));
    expect(await handler.handle(watch, 'n1')).toMatchObject({
      status: 'admitted',
      gpuClass: 'unknown',
    });
    watch.nodes.set('n1', signedNode({ allocatedGpus: 2 }, labels));
    await handler.handle(watch, 'n1');
    expect(log.messages('warn')).toEqual([
      "GPU product 'ACME-X1' is not in the catalogue: accepted as unknown",
    ]);
  });

  it('marks nothing when the record could not be committed', async () => {
    const { registry, handler, watch } = setup();
    watch.nodes.set('n1', signedNode());
    await handler.handle(watch, 'n1'); // the provider is read and recorded first
    watch.nodes.set('n1', signedNode({ ready: 'False' }));
    registry.failCommits = 1;
    await expect(handler.handle(watch, 'n1')).rejects.toThrow('connection terminated');
    expect(registry.nodes.get('us-east/n1')?.status).toBe('admitted');
    expect(watch.marks.get('n1')?.status).toBe('admitted');
  });
});
