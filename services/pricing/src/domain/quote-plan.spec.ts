import { parsePolicy } from './policy';
import { EMPTY_PRICES, price } from './price';
import { estimateWaitSeconds, planQuote, type QuoteSpec } from './quote-plan';
import { type SignalEvent } from './signal-events';
import { applySignal, EMPTY_SIGNALS, poolViews } from './signals';

const policy = parsePolicy({});
const spec = (s: Partial<QuoteSpec>): QuoteSpec => ({
  gpuProduct: '',
  minVramMiB: 0,
  gpuCount: 1,
  urgency: 'normal',
  regionPreference: [],
  maxDurationSeconds: 3600,
  ...s,
});

const events: SignalEvent[] = [
  {
    kind: 'node-up',
    at: 0,
    node: 'a',
    region: 'us-east',
    gpuClass: 'H100-80GB',
    gpus: 8,
    vramMiB: 81559,
  },
  {
    kind: 'node-up',
    at: 0,
    node: 'b',
    region: 'eu-west',
    gpuClass: 'H100-80GB',
    gpus: 4,
    vramMiB: 81559,
  },
  {
    kind: 'node-up',
    at: 0,
    node: 'c',
    region: 'eu-west',
    gpuClass: 'L40S',
    gpus: 4,
    vramMiB: 46068,
  },
];
const signals = events.reduce(applySignal, EMPTY_SIGNALS);
const prices = price(policy, signals, EMPTY_PRICES, 60_000).state;

describe('planQuote', () => {
  it('offers every region with a node that fits, preferred regions first, with the deposit', () => {
    const plan = planQuote(
      policy,
      signals,
      prices,
      spec({ gpuProduct: 'NVIDIA-H100-80GB-HBM3', gpuCount: 4, regionPreference: ['eu-west'] }),
    );
    if (!plan.feasible) throw new Error(plan.message);
    expect(plan.offers.map((o) => o.tier)).toEqual([
      'H100-80GB/eu-west/normal',
      'H100-80GB/us-east/normal',
    ]);
    const o = plan.offers[0]!;
    expect(o.maxGpuSeconds).toBe(4n * 3600n);
    expect(o.maxTotal).toBe(o.pricePerGpuSecond * 4n * 3600n);
    expect(o.estimatedWaitSeconds).toBe(0);
  });

  it('drops regions whose nodes are too small for the GPU count', () => {
    const plan = planQuote(policy, signals, prices, spec({ gpuProduct: 'H100-80GB', gpuCount: 8 }));
    expect(plan.feasible && plan.offers.map((o) => o.region)).toEqual(['us-east']);
  });

  it('picks every class with enough memory when no product is named', () => {
    const plan = planQuote(policy, signals, prices, spec({ minVramMiB: 45_000 }));
    expect(plan.feasible && plan.offers.map((o) => o.gpuClass).sort()).toEqual([
      'H100-80GB',
      'H100-80GB',
      'L40S',
    ]);
  });

  it.each([
    [spec({ gpuProduct: 'NVIDIA-B200' }), 'unknown-gpu-product', /not in the GPU catalogue/],
    [spec({ gpuProduct: 'RTX-4090' }), 'no-supply-for-product', /no active node offers RTX-4090/],
    [
      spec({ gpuProduct: 'H100-80GB', gpuCount: 16 }),
      'too-many-gpus',
      /16 GPUs asked, but the largest node of H100-80GB has 8/,
    ],
    [spec({ minVramMiB: 100_000 }), 'no-gpu-with-vram', /no GPU class has 100000 MiB/],
    [spec({ gpuProduct: 'L40S', minVramMiB: 60_000 }), 'no-gpu-with-vram', /L40S has 46068 MiB/],
  ])('explains an infeasible spec (%#: %s)', (s, reason, message) => {
    const plan = planQuote(policy, signals, prices, s);
    expect(plan).toMatchObject({
      feasible: false,
      reason,
      message: expect.stringMatching(message),
    });
  });

  it('estimates a later start when the queue ahead exceeds the free GPUs', () => {
    const busy = [
      ...events,
      {
        kind: 'job-queued',
        at: 0,
        jobId: 'j1',
        region: 'us-east',
        gpuClass: 'H100-80GB',
        urgency: 'high',
        gpus: 8,
      },
      {
        kind: 'job-matched',
        at: 0,
        jobId: 'j1',
        region: 'us-east',
        gpuClass: 'H100-80GB',
        gpus: 8,
      },
      {
        kind: 'job-queued',
        at: 0,
        jobId: 'j2',
        region: 'us-east',
        gpuClass: 'H100-80GB',
        urgency: 'critical',
        gpus: 4,
      },
      {
        kind: 'job-queued',
        at: 0,
        jobId: 'j3',
        region: 'us-east',
        gpuClass: 'H100-80GB',
        urgency: 'low',
        gpus: 4,
      },
    ] satisfies SignalEvent[];
    const view = poolViews(busy.reduce(applySignal, EMPTY_SIGNALS)).get('H100-80GB/us-east')!;
    // Pool full; 4 critical GPUs queued ahead of a normal job, the low ones behind it.
    expect(estimateWaitSeconds(view, 'normal', 2, 1_000)).toBe(Math.ceil((6 * 1_000) / 8));
    expect(estimateWaitSeconds(view, 'critical', 2, 1_000)).toBe(Math.ceil((6 * 1_000) / 8));
    expect(estimateWaitSeconds(view, 'low', 2, 1_000)).toBe(Math.ceil((10 * 1_000) / 8));
  });
});
