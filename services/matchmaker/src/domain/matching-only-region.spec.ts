import { commonV1 } from '@starminer/proto';
import { type NodeCapacity } from './capacity';
import { matchJobs, type MarketView, type MatchRequest } from './matching';
import { DEFAULT_MATCHING_WEIGHTS } from './matching-weights';

const H100 = 'NVIDIA-H100-80GB-HBM3';
const node = (region: string): NodeCapacity => ({
  region,
  node: `${region}-h100-0`,
  provider: '0xa',
  pool: 'h100',
  product: H100,
  memoryMiB: 81559,
  allocatable: 8,
  healthy: true,
  usedByOthers: 0,
});
const view: MarketView = {
  nodes: [node('eu-west')],
  reservations: [],
  activeProviders: new Set(['0xa']),
  reputation: new Map(),
  price: () => 5n,
  rttMs: () => 78,
};
const req = (o: Partial<MatchRequest> = {}): MatchRequest => ({
  jobId: 'j',
  gpu: { product: 'H100-80GB', count: 1, minVramMib: 0 },
  urgency: commonV1.Urgency.URGENCY_NORMAL,
  regionPreference: [],
  quoteRegion: 'us-east',
  quoteProduct: H100,
  quotePricePerGpuSecond: 10n,
  maxPricePerGpuSecond: 20n,
  excludedNodes: [],
  ...o,
});

describe('matching confined to the job region (moves left to spillover)', () => {
  it('given only another region has room, then a confined job waits and an unconfined one is placed there', () => {
    const confined = matchJobs([req({ onlyRegion: 'us-east' })], view, DEFAULT_MATCHING_WEIGHTS);
    expect(confined.matches).toEqual([]);
    const free = matchJobs([req()], view, DEFAULT_MATCHING_WEIGHTS);
    expect(free.matches.map((m) => m.placement.region)).toEqual(['eu-west']);
  });

  it('given the job was rerouted to eu-west, then it is placed there', () => {
    const moved = matchJobs(
      [req({ onlyRegion: 'eu-west', reroutedTo: 'eu-west' })],
      view,
      DEFAULT_MATCHING_WEIGHTS,
    );
    expect(moved.matches.map((m) => m.placement.region)).toEqual(['eu-west']);
  });
});
