import { DEFAULT_POLICY } from './policy';
import { EMPTY_PRICES, price } from './price';
import { leaveUnservedRegions, withinServedRegions } from './served-regions';
import { type SignalEvent } from './signal-events';
import { applySignal, EMPTY_SIGNALS, poolViews } from './signals';

const served = new Set(['us-east']);
const node = (region: string, name: string): SignalEvent => ({
  kind: 'node-up',
  at: 0,
  node: `${region}/${name}`,
  region,
  gpuClass: 'H100-80GB',
  gpus: 8,
  vramMiB: 81559,
});
const queued = (region: string, jobId: string): SignalEvent => ({
  kind: 'job-queued',
  at: 0,
  jobId,
  region,
  gpuClass: 'H100-80GB',
  urgency: 'normal',
  gpus: 2,
});
const fold = (events: SignalEvent[]) => events.reduce(applySignal, EMPTY_SIGNALS);
const pricedRegions = (events: SignalEvent[]) =>
  new Set(price(DEFAULT_POLICY, fold(events), EMPTY_PRICES, 1).changes.map((c) => c.region));

describe('withinServedRegions', () => {
  it('keeps supply and demand of served regions as they are', () => {
    for (const s of [node('us-east', 'a'), queued('us-east', 'j')])
      expect(withinServedRegions(s, served)).toBe(s);
    const ended: SignalEvent = { kind: 'job-ended', at: 0, jobId: 'j', outcome: 'finished' };
    expect(withinServedRegions(ended, served)).toBe(ended);
  });

  it('records no supply of another region and takes jobs moving there off the market', () => {
    expect(withinServedRegions(node('ap-south', 'a'), served)).toBeUndefined();
    const cancelled = { kind: 'job-ended', at: 5, jobId: 'j', outcome: 'cancelled' };
    expect(withinServedRegions({ ...queued('ap-south', 'j'), at: 5 }, served)).toEqual(cancelled);
    expect(
      withinServedRegions({ kind: 'job-rerouted', at: 5, jobId: 'j', region: 'ap-south' }, served),
    ).toEqual(cancelled);
    expect(
      withinServedRegions(
        { kind: 'job-matched', at: 5, jobId: 'j', region: '', gpuClass: 'H100-80GB', gpus: 2 },
        served,
      ),
    ).toEqual(cancelled);
  });

  it('prices no tier of a region it does not serve', () => {
    const events = [node('us-east', 'a'), queued('us-east', 'j1'), queued('ap-south', 'j2')];
    expect(pricedRegions(events)).toEqual(new Set(['us-east', 'ap-south']));
    const filtered = events
      .map((e) => withinServedRegions(e, served))
      .filter((e): e is SignalEvent => e !== undefined);
    expect(pricedRegions(filtered)).toEqual(new Set(['us-east']));
  });
});

describe('leaveUnservedRegions', () => {
  it('removes the nodes and jobs of regions no longer served, and nothing else', () => {
    const signals = fold([
      node('us-east', 'a'),
      node('eu-west', 'b'),
      queued('us-east', 'j1'),
      queued('eu-west', 'j2'),
    ]);
    const entries = leaveUnservedRegions(signals, served, 9);
    expect(entries).toEqual([
      { kind: 'node-removed', at: 9, node: 'eu-west/b' },
      { kind: 'job-ended', at: 9, jobId: 'j2', outcome: 'cancelled' },
    ]);
    const after = entries.reduce(applySignal, signals);
    expect([...poolViews(after).keys()]).toEqual(['H100-80GB/us-east']);
    expect(leaveUnservedRegions(after, served, 10)).toEqual([]);
  });
});
