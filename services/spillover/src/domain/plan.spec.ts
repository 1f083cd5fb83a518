import { candidatesFor, planRouting } from './plan';
import { type NodeFree, type PlanInput, type WaitingJob } from './routing-types';

const H100 = 'NVIDIA-H100-80GB-HBM3';
const MATRIX: Record<string, Record<string, number>> = {
  'us-east': { 'us-east': 2, 'eu-west': 78, 'ap-south': 215 },
  'eu-west': { 'us-east': 78, 'eu-west': 2, 'ap-south': 140 },
  'ap-south': { 'us-east': 215, 'eu-west': 140, 'ap-south': 2 },
};
const NOW = 1_000_000;

let seq = 0;
function job(over: Partial<WaitingJob> = {}): WaitingJob {
  seq += 1;
  return {
    jobId: `job-${String(seq).padStart(3, '0')}`,
    version: 5,
    status: 'Queued',
    region: 'us-east',
    quoteRegion: 'us-east',
    product: H100,
    gpus: 1,
    minVramMiB: 0,
    urgency: 2,
    quotePrice: 10n,
    latency: { mode: 'batch' },
    waitingSinceMs: NOW - 60_000 + seq,
    ...over,
  };
}

const node = (region: string, free: number, over: Partial<NodeFree> = {}): NodeFree => ({
  region,
  node: `${region}-h100-0`,
  product: H100,
  memoryMiB: 81559,
  free,
  ...over,
});

function input(
  jobs: WaitingJob[],
  nodes: NodeFree[],
  over: Partial<PlanInput> & { prices?: Record<string, bigint>; down?: string[] } = {},
): PlanInput {
  const prices = over.prices ?? { 'us-east': 8n, 'eu-west': 9n, 'ap-south': 7n };
  return {
    nowMs: NOW,
    jobs,
    nodes,
    regions: Object.keys(MATRIX).map((name) => ({
      name,
      reachable: !(over.down ?? []).includes(name),
    })),
    rttMs: (a, b) => MATRIX[a]?.[b],
    price: (product, region) => (product === H100 ? prices[region] : undefined),
    options: { spillAfterMs: 5_000 },
    ...over,
  };
}

const interactive = (maxRttMs: number) =>
  ({ mode: 'interactive', clientRegion: 'us-east', maxRttMs }) as const;

describe('planRouting', () => {
  it('given free capacity in its region, then the job stays for the matchmaker', () => {
    const [d] = planRouting(input([job()], [node('us-east', 2), node('eu-west', 8)]));
    expect(d).toMatchObject({ decision: 'stay', due: false });
    expect(d!.reason).toMatch(/us-east has free NVIDIA-H100-80GB-HBM3 for it/);
  });

  it('given us-east full, then batch jobs move to the lowest-latency region with H100s and an interactive one outside its budget is blocked with the reason', () => {
    const batch = [job(), job()];
    const pinned = job({ latency: interactive(50) });
    const plan = planRouting(
      input([...batch, pinned], [node('us-east', 0), node('eu-west', 8), node('ap-south', 8)]),
    );
    const byId = new Map(plan.map((d) => [d.jobId, d]));
    for (const b of batch) {
      expect(byId.get(b.jobId)).toMatchObject({
        decision: 'reroute',
        target: { region: 'eu-west', rttMs: 78, price: 9n },
      });
      expect(byId.get(b.jobId)!.reason).toMatch(
        /^saturated: us-east has no free NVIDIA-H100-80GB-HBM3 for 1 GPU\(s\); moves to eu-west: 78 ms/,
      );
    }
    expect(byId.get(pinned.jobId)).toMatchObject({ decision: 'blocked', due: true });
    expect(byId.get(pinned.jobId)!.reason).toBe(
      'no region qualifies: us-east has no free NVIDIA-H100-80GB-HBM3 for 1 GPU(s); eu-west 78 ms > 50 ms budget; ap-south 215 ms > 50 ms budget',
    );
  });

  it('does not move a job to a region whose tier price is above its funded quote', () => {
    const cheap = job({ quotePrice: 8n });
    const [d] = planRouting(
      input([cheap], [node('us-east', 0), node('eu-west', 8), node('ap-south', 8)], {
        prices: { 'us-east': 8n, 'eu-west': 9n, 'ap-south': 12n },
      }),
    );
    expect(d!.decision).toBe('blocked');
    expect(d!.reason).toContain('eu-west price 9 > funded 8 per GPU-second');
    expect(d!.reason).toContain('ap-south price 12 > funded 8 per GPU-second');
  });

  it('orders qualifying regions by latency, then by price', () => {
    const j = job({ region: 'ap-south', quoteRegion: 'ap-south' });
    const nodes = [node('ap-south', 0), node('us-east', 8), node('eu-west', 8)];
    expect(candidatesFor(j, input([j], nodes)).map((c) => c.region)).toEqual([
      'eu-west',
      'us-east',
    ]);
    // Equal latency: the cheaper region first.
    const flat = input([j], nodes, { rttMs: () => 50 });
    expect(candidatesFor(j, flat).map((c) => [c.region, c.price])).toEqual([
      ['us-east', 8n],
      ['eu-west', 9n],
    ]);
  });

  it('requires GPU product, VRAM and one node with enough free GPUs', () => {
    const big = job({ gpus: 4, minVramMiB: 40_000 });
    const nodes = [
      node('us-east', 0),
      node('eu-west', 3),
      node('eu-west', 8, { node: 'eu-west-a100-0', product: 'NVIDIA-A100-SXM4-80GB' }),
      node('ap-south', 8, { memoryMiB: 24_000 }),
    ];
    const [d] = planRouting(input([big], nodes));
    expect(d!.decision).toBe('blocked');
    expect(d!.reason).toContain('eu-west has no free NVIDIA-H100-80GB-HBM3 for 4 GPU(s)');
    expect(d!.reason).toContain('ap-south has no free NVIDIA-H100-80GB-HBM3 for 4 GPU(s)');
  });

  it('waits spillAfterMs before spilling a queued job from a saturated region, but moves an overflowed one at once', () => {
    const fresh = job({ waitingSinceMs: NOW - 1_000 });
    const over = job({ waitingSinceMs: NOW - 1_000, status: 'Overflowed' });
    const plan = planRouting(input([fresh, over], [node('us-east', 0), node('eu-west', 8)]));
    expect(plan.find((d) => d.jobId === fresh.jobId)).toMatchObject({
      decision: 'stay',
      due: false,
    });
    expect(plan.find((d) => d.jobId === fresh.jobId)!.reason).toMatch(/spills in 4 s/);
    expect(plan.find((d) => d.jobId === over.jobId)).toMatchObject({
      decision: 'reroute',
      target: { region: 'eu-west' },
    });
    expect(plan.find((d) => d.jobId === over.jobId)!.reason).toMatch(/^overflowed: /);
  });

  it('spills every queued job of an unreachable region at once, and never sends jobs to it', () => {
    const inEu = [
      job({ region: 'eu-west', quoteRegion: 'eu-west', waitingSinceMs: NOW }),
      job({ region: 'eu-west', quoteRegion: 'eu-west', waitingSinceMs: NOW }),
    ];
    const fromUs = job();
    const plan = planRouting(
      input([...inEu, fromUs], [node('eu-west', 8), node('us-east', 1), node('ap-south', 0)], {
        down: ['eu-west'],
        prices: { 'us-east': 8n, 'eu-west': 9n, 'ap-south': 7n },
      }),
    );
    const [a, b] = inEu.map((j) => plan.find((d) => d.jobId === j.jobId)!);
    // us-east's one free GPU goes to its own job first; the eu-west jobs find no room.
    expect(plan.find((d) => d.jobId === fromUs.jobId)).toMatchObject({ decision: 'stay' });
    for (const d of [a, b]) {
      expect(d).toMatchObject({ decision: 'blocked', due: true });
      expect(d!.reason).toMatch(/^no region qualifies: eu-west is unreachable; /);
    }
    const more = planRouting(
      input(inEu, [node('eu-west', 8), node('us-east', 8)], { down: ['eu-west'] }),
    );
    expect(more.map((d) => [d.decision, d.target?.region])).toEqual([
      ['reroute', 'us-east'],
      ['reroute', 'us-east'],
    ]);
    expect(more[0]!.reason).toMatch(/^eu-west is unreachable; moves to us-east/);
  });

  it('rebalances oldest first into the free GPUs another region has, without taking what that region needs for its own queue', () => {
    const usQueue = [1, 2, 3, 4].map((i) => job({ waitingSinceMs: NOW - 100_000 + i }));
    const euOwn = job({ region: 'eu-west', quoteRegion: 'eu-west', waitingSinceMs: NOW });
    const plan = planRouting(
      input([...usQueue, euOwn], [node('us-east', 1), node('eu-west', 3), node('ap-south', 0)]),
    );
    const d = (j: WaitingJob) => plan.find((x) => x.jobId === j.jobId)!;
    expect(d(euOwn).decision).toBe('stay');
    expect(d(usQueue[0]!).decision).toBe('stay'); // the oldest takes us-east's one GPU
    expect(usQueue.slice(1).map((j) => [d(j).decision, d(j).target?.region])).toEqual([
      ['reroute', 'eu-west'],
      ['reroute', 'eu-west'],
      ['blocked', undefined],
    ]);
  });

  it('gives the capacity of a region to jobs that cannot move before jobs that can (no starvation of pinned jobs)', () => {
    const movable = job({ waitingSinceMs: NOW - 90_000 });
    const pinned = job({ waitingSinceMs: NOW - 10_000, latency: interactive(10) });
    const plan = planRouting(
      input([movable, pinned], [node('us-east', 1), node('eu-west', 4), node('ap-south', 0)]),
    );
    expect(plan.find((d) => d.jobId === pinned.jobId)).toMatchObject({ decision: 'stay' });
    expect(plan.find((d) => d.jobId === movable.jobId)).toMatchObject({
      decision: 'reroute',
      target: { region: 'eu-west' },
    });
  });

  it('ignores jobs and nodes of regions it does not know', () => {
    const stranger = job({ region: 'mars-1', quoteRegion: 'mars-1' });
    expect(planRouting(input([stranger], [node('mars-1', 8)]))).toEqual([]);
  });

  it('lets a rerouted job go back to its quoted region with no published price there (the quote prices it)', () => {
    const away = job({ region: 'eu-west', status: 'Overflowed' });
    const [d] = planRouting(
      input([away], [node('eu-west', 0), node('us-east', 2)], {
        prices: { 'eu-west': 9n },
      }),
    );
    expect(d).toMatchObject({ decision: 'reroute', target: { region: 'us-east', price: 10n } });
  });
});
