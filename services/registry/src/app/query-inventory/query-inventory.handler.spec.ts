import { InMemoryRegistry, nodeRecord, providerState } from '../registry.fixtures';
import { InvalidPageTokenError, QueryInventoryHandler } from './query-inventory.handler';

const P = '0x976ea74026e726554db657fa54763abd0c3a0aa9';
const Q = '0x00000000000000000000000000000000000000aa';

function setup() {
  const registry = new InMemoryRegistry();
  registry.seedProvider(providerState(P));
  registry.seedProvider(providerState(Q, { active: false, inactiveReason: 'InsufficientStake' }));
  const queries = new QueryInventoryHandler(registry, registry.providerMirror);
  return { registry, queries };
}

describe('QueryInventoryHandler', () => {
  it('counts the capacity of admitted nodes of active providers, free GPUs only from ready, uncordoned ones', async () => {
    const { registry, queries } = setup();
    registry.seedNode(nodeRecord({ name: 'n1', allocatedGpus: 3 }));
    registry.seedNode(nodeRecord({ name: 'n2', cordoned: true }));
    registry.seedNode(nodeRecord({ name: 'n3', status: 'quarantined', reason: 'NotReady' }));
    registry.seedNode(nodeRecord({ name: 'n4', provider: Q }));
    registry.seedNode(nodeRecord({ name: 'n5', region: 'eu-west' }));

    expect(await queries.capacity({ region: 'us-east' })).toEqual([
      {
        region: 'us-east',
        provider: P,
        pool: 'h100-a',
        gpuClass: 'H100-80GB',
        gpuProduct: 'NVIDIA-H100-80GB-HBM3',
        gpuMemoryMiB: 81559,
        nodes: 2,
        totalGpus: 16,
        allocatableGpus: 16,
        allocatedGpus: 3,
        freeGpus: 5,
      },
    ]);
    expect((await queries.capacity({})).map((p) => p.region)).toEqual(['eu-west', 'us-east']);
    expect(await queries.capacity({ gpuProduct: 'L40S' })).toEqual([]);
  });

  it('pages through nodes in (region, name) order with the token it returns', async () => {
    const { registry, queries } = setup();
    for (const [region, name] of [
      ['us-east', 'b'],
      ['eu-west', 'z'],
      ['us-east', 'a'],
      ['us-east', 'c'],
    ] as const)
      registry.seedNode(
        nodeRecord({ region, name, status: name === 'c' ? 'rejected' : 'admitted' }),
      );

    const first = await queries.listNodes({ pageSize: 2 });
    expect(first.nodes.map((n) => `${n.region}/${n.name}`)).toEqual(['eu-west/z', 'us-east/a']);
    const second = await queries.listNodes({ pageSize: 2, pageToken: first.nextPageToken });
    expect(second.nodes.map((n) => `${n.region}/${n.name}`)).toEqual(['us-east/b', 'us-east/c']);
    expect(second.nextPageToken).toBe('');

    const admitted = await queries.listNodes({
      region: 'us-east',
      status: 'admitted',
      pageSize: 0,
    });
    expect(admitted.nodes.map((n) => n.name)).toEqual(['a', 'b']);
  });

  it('refuses a page token it did not issue', async () => {
    const { queries } = setup();
    await expect(queries.listNodes({ pageSize: 10, pageToken: 'bm90IGpzb24' })).rejects.toThrow(
      InvalidPageTokenError,
    );
    await expect(
      queries.listNodes({ pageSize: 10, pageToken: Buffer.from('[1,2]').toString('base64url') }),
    ).rejects.toThrow("page_token 'WzEsMl0' is not one this server returned");
  });

  it('shows a provider with its admitted nodes, and nothing for an unknown one', async () => {
    const { registry, queries } = setup();
    registry.seedNode(nodeRecord({ name: 'n1' }));
    registry.seedNode(nodeRecord({ name: 'n2', status: 'rejected', reason: 'BadSignature' }));
    expect(await queries.provider(P)).toEqual({ state: providerState(P), admittedNodes: 1 });
    expect(await queries.provider('0x00000000000000000000000000000000000000ff')).toBeUndefined();
  });
});
