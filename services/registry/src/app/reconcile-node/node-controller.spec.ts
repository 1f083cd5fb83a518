import { h100Node, provider as P } from '../../../test/support/node-fixtures';
import { type NodeObservation } from '../../domain/node';
import { ManualClock } from '@starminer/service-kit';
import { ProviderStandings } from '../provider-standing/provider-standings';
import {
  FakeSignatures,
  FakeStakeChain,
  InMemoryRegistry,
  RecordingLog,
  nodeRecord,
  signatureOf,
} from '../registry.fixtures';
import { FakeRegionWatches } from '../region-watch.fixtures';
import { NodeController } from './node-controller';
import { ReconcileNodeHandler } from './reconcile-node.handler';

const RESYNC_MS = 30_000;

function signed(name: string, over: Partial<NodeObservation> = {}): NodeObservation {
  const obs = h100Node({ name, uid: `uid-${name}`, ...over });
  return {
    ...obs,
    signature: signatureOf({ node: name, uid: obs.uid, region: obs.region, provider: P }),
  };
}

/** Lets every reconcile in flight finish (the fakes answer on the microtask queue). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function setup() {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const registry = new InMemoryRegistry();
  const chain = new FakeStakeChain();
  chain.set(P, 5_000n);
  const log = new RecordingLog();
  const standings = new ProviderStandings({
    providers: registry.providerMirror,
    chain,
    transactions: registry,
    logger: log,
    clock,
    maxAgeMs: 60_000,
    onActivationChanged: () => undefined,
  });
  const watches = new FakeRegionWatches(['us-east', 'eu-west']);
  const controller = new NodeController({
    watches,
    handler: new ReconcileNodeHandler({
      transactions: registry,
      standings,
      signatures: new FakeSignatures(),
      logger: log,
      clock,
    }),
    nodes: registry,
    logger: log,
    resyncIntervalMs: RESYNC_MS,
    concurrency: 2,
  });
  return { registry, log, watches, controller, usEast: watches.of('us-east') };
}

beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate'] }));
afterEach(() => jest.useRealTimers());

describe('NodeController', () => {
  it("reconciles every node of the cache and of the table once a region's list completes", async () => {
    const { registry, controller, usEast } = setup();
    registry.seedNode(nodeRecord({ name: 'gone', uid: 'uid-gone' }));
    usEast.nodes.set('a', signed('a'));
    usEast.nodes.set('b', signed('b'));
    usEast.nodes.set('c', signed('c'));

    usEast.events.onListed();
    await settle();
    expect([...registry.nodes.keys()].sort()).toEqual(['us-east/a', 'us-east/b', 'us-east/c']);
    expect(
      registry
        .types()
        .filter((t) => t.startsWith('Node'))
        .sort(),
    ).toEqual(['NodeJoined', 'NodeJoined', 'NodeJoined', 'NodeLeft']);
    expect(controller.stats).toEqual({ reconciled: 4, skipped: 0, failed: 0 });
    expect(controller.backlog()).toBe(0);
  });

  it('skips a node that has not changed since its last reconcile, a heartbeat within a minute included', async () => {
    const { registry, controller, usEast } = setup();
    usEast.put(signed('a'));
    await settle();
    usEast.put(signed('a'));
    usEast.put(signed('a', { lastHeartbeat: new Date('2026-01-01T00:00:30Z') }));
    await settle();
    expect(controller.stats).toEqual({ reconciled: 1, skipped: 2, failed: 0 });

    usEast.put(signed('a', { cordoned: true }));
    await settle();
    expect(controller.stats.reconciled).toBe(2);
    expect(registry.nodes.get('us-east/a')?.cordoned).toBe(true);

    // Requeued (its provider's standing changed, say): reconciled although unchanged.
    controller.requeue([
      { region: 'us-east', name: 'a' },
      { region: 'ap-south', name: 'x' },
    ]);
    await settle();
    expect(controller.stats).toEqual({ reconciled: 3, skipped: 2, failed: 0 });
  });

  it('retries a failed reconcile a second later', async () => {
    const { registry, log, controller, usEast } = setup();
    usEast.put(signed('a'));
    await settle();
    registry.failCommits = 1;
    usEast.put(signed('a', { ready: 'False' }));
    await settle();
    expect(controller.stats.failed).toBe(1);
    expect(log.messages('warn')).toEqual(['node reconcile failed: retrying']);
    expect(registry.nodes.get('us-east/a')?.status).toBe('admitted');

    jest.advanceTimersByTime(1_000);
    await settle();
    expect(registry.nodes.get('us-east/a')?.status).toBe('quarantined');
    expect(controller.stats).toEqual({ reconciled: 2, skipped: 0, failed: 1 });
  });

  it('reports the regions whose watch is not in sync, and resyncs none of them', async () => {
    const { registry, watches, controller } = setup();
    const euWest = watches.of('eu-west');
    euWest.isSynced = false;
    euWest.lastProblem = 'nodes watch failed: connect ECONNREFUSED';
    euWest.nodes.set('n', signed('n', { region: 'eu-west' }));
    expect(controller.problems()).toEqual(['eu-west: nodes watch failed: connect ECONNREFUSED']);
    await controller.resyncAll();
    await settle();
    expect(registry.nodes.size).toBe(0);
    expect(controller.stats.reconciled).toBe(0);
  });

  it('runs the watches and a periodic resync between start and stop', async () => {
    const { registry, watches, controller, usEast } = setup();
    controller.start();
    expect([...watches.watches.values()].every((w) => w.started)).toBe(true);
    usEast.nodes.set('a', signed('a'));
    jest.advanceTimersByTime(RESYNC_MS);
    await settle();
    expect(registry.nodes.has('us-east/a')).toBe(true);

    await controller.stop();
    expect([...watches.watches.values()].every((w) => w.stopped)).toBe(true);
    usEast.nodes.set('b', signed('b'));
    jest.advanceTimersByTime(RESYNC_MS);
    await settle();
    expect(registry.nodes.has('us-east/b')).toBe(false);
  });
});
