import { readClaim, type Verdict } from './admission';
import { at, h100Node } from '../../test/support/node-fixtures';
import { type NodeObservation } from './node';
import { decideNode, desiredTaint } from './node-lifecycle';

const t0 = at('2026-01-01T00:00:00Z');
const ok: Verdict = { ok: true };
const observed = (obs: NodeObservation, verdict: Verdict = ok) =>
  ({ kind: 'observed', obs, claim: readClaim(obs), verdict }) as const;

describe('decideNode', () => {
  it('given a new valid ready node, then it joins and counts', () => {
    const d = decideNode(undefined, observed(h100Node()), t0);
    expect(d.events.map((e) => e.type)).toEqual(['NodeJoined']);
    expect(d.events[0]).toMatchObject({
      region: 'us-east',
      node: 'n1',
      pool: 'h100-a',
      gpus: { product: 'NVIDIA-H100-80GB-HBM3', count: 8, memoryMib: 81559 },
    });
    expect(d.next).toMatchObject({
      status: 'admitted',
      verified: true,
      version: 1,
      gpuClass: 'H100-80GB',
    });
    expect(desiredTaint(d.next!)).toBeUndefined();
  });

  it('given a new node with a bad signature, then it is rejected once with the reason, and tainted', () => {
    const bad: Verdict = { ok: false, reason: 'BadSignature', message: 'signed by 0xdead' };
    const d = decideNode(undefined, observed(h100Node(), bad), t0);
    expect(d.events).toEqual([
      {
        type: 'NodeRejected',
        region: 'us-east',
        node: 'n1',
        provider: h100Node().labels['starminer.io/provider'],
        reason: 'BadSignature',
        message: 'signed by 0xdead',
      },
    ]);
    expect(desiredTaint(d.next!)).toBe('BadSignature');
    const again = decideNode(d.next, observed(h100Node(), bad), t0);
    expect(again.events).toEqual([]);
    expect(again.persist).toBe(false);
  });

  it('given an admitted node goes NotReady and back, then it is quarantined and recovers', () => {
    const joined = decideNode(undefined, observed(h100Node()), t0).next;
    const sick = decideNode(joined, observed(h100Node({ ready: 'Unknown' })), t0);
    expect(sick.events).toMatchObject([{ type: 'NodeQuarantined', reason: 'NotReady' }]);
    expect(sick.next).toMatchObject({ status: 'quarantined', version: 2 });
    expect(desiredTaint(sick.next!)).toBe('NotReady');
    const well = decideNode(sick.next, observed(h100Node()), t0);
    expect(well.events.map((e) => e.type)).toEqual(['NodeRecovered']);
    expect(well.next).toMatchObject({ status: 'admitted', reason: '', version: 3 });
  });

  it('given the provider is slashed, then the admitted node is quarantined with that reason', () => {
    const joined = decideNode(undefined, observed(h100Node()), t0).next;
    const d = decideNode(
      joined,
      observed(h100Node(), { ok: false, reason: 'ProviderSlashed', message: 's' }),
      t0,
    );
    expect(d.events).toMatchObject([{ type: 'NodeQuarantined', reason: 'ProviderSlashed' }]);
  });

  it('given allocatable changes, then NodeCapacityChanged carries before and after', () => {
    const joined = decideNode(undefined, observed(h100Node()), t0).next;
    const d = decideNode(joined, observed(h100Node({ allocatableGpus: 6 })), t0);
    expect(d.events).toMatchObject([
      { type: 'NodeCapacityChanged', previous: { count: 8 }, current: { count: 6 } },
    ]);
  });

  it('given only pods change, then there is no event but the record is written', () => {
    const joined = decideNode(undefined, observed(h100Node()), t0).next;
    const d = decideNode(joined, observed(h100Node({ allocatedGpus: 3 })), t0);
    expect(d.events).toEqual([]);
    expect(d).toMatchObject({ persist: true, next: { allocatedGpus: 3 } });
  });

  it('given only a fresh heartbeat, then nothing is written until it is a minute newer', () => {
    const joined = decideNode(undefined, observed(h100Node()), t0).next;
    const soon = decideNode(
      joined,
      observed(h100Node({ lastHeartbeat: at('2026-01-01T00:00:00Z', 20_000) })),
      t0,
    );
    expect(soon.persist).toBe(false);
    const later = decideNode(
      joined,
      observed(h100Node({ lastHeartbeat: at('2026-01-01T00:00:00Z', 60_000) })),
      t0,
    );
    expect(later.persist).toBe(true);
  });

  it('given a node is gone, then a counted one leaves and a rejected one goes silently', () => {
    const joined = decideNode(undefined, observed(h100Node()), t0).next;
    expect(
      decideNode(joined, { kind: 'gone', region: 'us-east', name: 'n1', reason: 'Deleted' }, t0),
    ).toMatchObject({
      next: undefined,
      events: [{ type: 'NodeLeft', reason: 'Deleted', node: 'n1' }],
    });
    const rejected = decideNode(
      undefined,
      observed(h100Node(), { ok: false, reason: 'MissingSignature', message: '' }),
      t0,
    ).next;
    expect(
      decideNode(rejected, { kind: 'gone', region: 'us-east', name: 'n1', reason: 'Deleted' }, t0)
        .events,
    ).toEqual([]);
  });

  it('given the same name with a new uid, then the old node leaves and the new one joins', () => {
    const joined = decideNode(undefined, observed(h100Node()), t0).next;
    const d = decideNode(joined, observed(h100Node({ uid: 'uid-2' })), t0);
    expect(d.events.map((e) => e.type)).toEqual(['NodeLeft', 'NodeJoined']);
    expect(d.next).toMatchObject({ uid: 'uid-2', version: 3 });
  });
});
