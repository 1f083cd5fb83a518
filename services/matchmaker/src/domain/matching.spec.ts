import { commonV1 } from '@starminer/proto';
import { type NodeCapacity, type Reservation } from './capacity';
import { matchJobs, type MarketView, type MatchRequest } from './matching';
import { DEFAULT_MATCHING_WEIGHTS, parseMatchingWeights } from './matching-weights';

const H100 = 'NVIDIA-H100-80GB-HBM3';
const L40S = 'NVIDIA-L40S';
const node = (name: string, o: Partial<NodeCapacity> = {}): NodeCapacity => ({
  region: 'us-east',
  node: name,
  provider: '0xa',
  pool: 'h100-a',
  product: H100,
  memoryMiB: 81559,
  allocatable: 8,
  healthy: true,
  usedByOthers: 0,
  ...o,
});
const view = (nodes: NodeCapacity[], o: Partial<MarketView> = {}): MarketView => ({
  nodes,
  reservations: [],
  activeProviders: new Set(['0xa', '0xb']),
  reputation: new Map(),
  price: () => undefined,
  rttMs: (a, b) =>
    a === b
      ? 2
      : (({ 'us-east/eu-west': 78, 'eu-west/us-east': 78 } as Record<string, number>)[
          `${a}/${b}`
        ] ?? 215),
  ...o,
});
const req = (id: string, count: number, o: Partial<MatchRequest> = {}): MatchRequest => ({
  jobId: id,
  gpu: { product: 'H100-80GB', count, minVramMib: 0 },
  urgency: commonV1.Urgency.URGENCY_NORMAL,
  regionPreference: [],
  quoteRegion: 'us-east',
  quoteProduct: H100,
  quotePricePerGpuSecond: 10n,
  maxPricePerGpuSecond: 20n,
  excludedNodes: [],
  ...o,
});

describe('matching', () => {
  it('packs best-fit: a small job goes to the partly used node, keeping the whole node free for an 8-GPU job', () => {
    const nodes = [node('a'), node('b')];
    const reservations: Reservation[] = [{ jobId: 'x', region: 'us-east', node: 'b', gpus: 6 }];
    const out = matchJobs(
      [req('small', 2), req('big', 8)],
      view(nodes, { reservations }),
      DEFAULT_MATCHING_WEIGHTS,
    );
    expect(out.matches.map((m) => [m.jobId, m.placement.node])).toEqual([
      ['small', 'b'],
      ['big', 'a'],
    ]);
  });

  it('keeps a job in its preferred region when it has room, though another region would pack tighter', () => {
    const nodes = [node('east-whole'), node('west-partly', { region: 'eu-west' })];
    const reservations: Reservation[] = [
      { jobId: 'x', region: 'eu-west', node: 'west-partly', gpus: 7 },
    ];
    const both = view(nodes, { reservations, price: () => 10n });
    const preferring = (regionPreference: string[], quoteRegion = 'us-east') =>
      matchJobs([req('j', 1, { regionPreference, quoteRegion })], both, DEFAULT_MATCHING_WEIGHTS)
        .matches[0]!.placement.node;
    expect(preferring(['us-east'])).toBe('east-whole');
    // Without a stated preference the quoted region is only a mild pull: packing may win.
    expect(preferring([])).toBe('west-partly');
    expect(preferring(['eu-west'], 'eu-west')).toBe('west-partly');
  });

  it('never promises more GPUs than a node has, however many jobs ask', () => {
    const nodes = [node('a'), node('b', { usedByOthers: 3 }), node('c', { allocatable: 4 })];
    const requests = Array.from({ length: 40 }, (_, i) => req(`j${i}`, 1 + (i % 3)));
    const out = matchJobs(requests, view(nodes), DEFAULT_MATCHING_WEIGHTS);
    const used = new Map<string, number>();
    for (const m of out.matches)
      used.set(m.placement.node, (used.get(m.placement.node) ?? 0) + m.gpus);
    expect(used.get('a')).toBeLessThanOrEqual(8);
    expect(used.get('b')).toBeLessThanOrEqual(5);
    expect(used.get('c')).toBeLessThanOrEqual(4);
    expect([...used.values()].reduce((a, b) => a + b)).toBe(17);
    expect(out.unplaced.length).toBe(40 - out.matches.length);
    expect(out.unplaced[0]!.reason).toMatch(/not enough free GPUs/);
  });

  it('applies the hard constraints: product, VRAM, provider active, reputation floor, health, excluded node, latency, price', () => {
    const w = DEFAULT_MATCHING_WEIGHTS;
    const only = (n: NodeCapacity, r: MatchRequest, o: Partial<MarketView> = {}) =>
      matchJobs([r], view([n], o), w);
    expect(
      only(node('a', { product: L40S, memoryMiB: 46068 }), req('j', 1)).unplaced[0]!.reason,
    ).toMatch(/GPU product differs/);
    expect(
      only(
        node('a', { product: L40S, memoryMiB: 46068 }),
        req('j', 1, { gpu: { product: '', count: 1, minVramMib: 80000 } }),
      ).unplaced[0]!.reason,
    ).toMatch(/VRAM/);
    expect(only(node('a', { provider: '0xz' }), req('j', 1)).unplaced[0]!.reason).toMatch(
      /provider not active/,
    );
    expect(
      only(node('a'), req('j', 1), { reputation: new Map([['0xa', 0.1]]) }).unplaced[0]!.reason,
    ).toMatch(/reputation/);
    expect(only(node('a', { healthy: false }), req('j', 1)).unplaced[0]!.reason).toMatch(
      /not healthy/,
    );
    expect(only(node('a'), req('j', 1, { excludedNodes: ['a'] })).unplaced[0]!.reason).toMatch(
      /excluded/,
    );
    const interactive: commonV1.LatencyRequirement = {
      mode: { $case: 'interactive', value: { clientRegion: 'ap-south', maxRttMs: 100 } },
    };
    expect(only(node('a'), req('j', 1, { latency: interactive })).unplaced[0]!.reason).toMatch(
      /latency budget/,
    );
    expect(
      only(node('a', { region: 'eu-west' }), req('j', 1), { price: () => 11n }).unplaced[0]!.reason,
    ).toMatch(/above the funded quote/);
    expect(only(node('a', { region: 'eu-west' }), req('j', 1)).unplaced[0]!.reason).toMatch(
      /no price for this tier/,
    );
    expect(
      only(node('a', { region: 'eu-west' }), req('j', 1), { price: () => 9n }).matches,
    ).toHaveLength(1);
  });

  it('given no published price, when a job is funded, then it matches a node of its quoted tier (class and region) and no other', () => {
    // The quote names the canonical label; the node reports another label of the same class.
    const nodes = [
      node('a', { product: 'NVIDIA-H100-SXM5-80GB' }),
      node('b', { region: 'eu-west' }),
      node('c', { product: L40S, memoryMiB: 46068 }),
    ];
    const out = matchJobs(
      [req('j', 1, { gpu: { product: '', count: 1, minVramMib: 0 } })],
      view(nodes),
      DEFAULT_MATCHING_WEIGHTS,
    );
    expect(out.unplaced).toEqual([]);
    expect(out.matches.map((m) => m.placement.node)).toEqual(['a']);
  });

  it('given the quoted tier priced above the quote since funding, then the job still matches there (the signed quote covers its tier)', () => {
    const out = matchJobs(
      [req('j', 1)],
      view([node('a')], { price: () => 11n }),
      DEFAULT_MATCHING_WEIGHTS,
    );
    expect(out.matches.map((m) => m.placement.node)).toEqual(['a']);
  });

  it('after a reroute matches only in the new region, up to the max price', () => {
    const nodes = [node('a'), node('e', { region: 'eu-west' })];
    const out = matchJobs(
      [req('j', 1, { reroutedTo: 'eu-west' })],
      view(nodes, { price: () => 15n }),
      DEFAULT_MATCHING_WEIGHTS,
    );
    expect(out.matches[0]!.placement.region).toBe('eu-west');
  });

  it('prefers cheaper tiers, better providers and preferred regions when the weights say so', () => {
    const nodes = [
      node('a', { provider: '0xa' }),
      node('b', { provider: '0xb', region: 'eu-west' }),
    ];
    const prices = (_p: string, region: string) => (region === 'eu-west' ? 5n : 9n);
    const pricey = matchJobs(
      [req('j', 1)],
      view(nodes, { price: prices }),
      parseMatchingWeights({
        version: 1,
        weights: { price: 1, reputation: 0, packing: 0, regionPreference: 0 },
      }),
    );
    expect(pricey.matches[0]!.placement.node).toBe('b');
    const byRegion = matchJobs(
      [req('j', 1, { regionPreference: ['us-east'] })],
      view(nodes, { price: prices }),
      parseMatchingWeights({
        version: 1,
        weights: { price: 0, reputation: 0, packing: 0, regionPreference: 1 },
      }),
    );
    expect(byRegion.matches[0]!.placement.node).toBe('a');
    const byRep = matchJobs(
      [req('j', 1)],
      view(nodes, {
        price: prices,
        reputation: new Map([
          ['0xa', 0.9],
          ['0xb', 0.3],
        ]),
      }),
      parseMatchingWeights({
        version: 1,
        weights: { price: 0, reputation: 1, packing: 0, regionPreference: 0 },
      }),
    );
    expect(byRep.matches[0]!.placement.node).toBe('a');
  });
});

describe('matching weights config', () => {
  it('defaults what a document leaves out and normalises the weights', () => {
    expect(parseMatchingWeights(undefined)).toBe(DEFAULT_MATCHING_WEIGHTS);
    const w = parseMatchingWeights({
      version: 1,
      weights: { price: 2, reputation: 0, packing: 2, regionPreference: 0 },
    });
    expect(w.weights).toEqual({ price: 0.5, reputation: 0, packing: 0.5, regionPreference: 0 });
    expect(w.reputationFloor).toBe(DEFAULT_MATCHING_WEIGHTS.reputationFloor);
  });
  it('refuses an unknown version, unknown keys and bad values, naming each', () => {
    expect(() => parseMatchingWeights({ version: 2 })).toThrow(/version: 2 is not supported/);
    expect(() =>
      parseMatchingWeights({ version: 1, weights: { speed: 1, price: -1 }, reputationFloor: 2 }),
    ).toThrow(
      /weights.price: must be a number >= 0.*weights.speed: unknown.*reputationFloor: must be a number in \[0, 1\]/,
    );
  });
});
