import { hexOf, stateOf, toJob, toQuoteResult, toWatchEvent, urgencyOf } from './wire';

describe('wire mapping', () => {
  it('reads bytes in every wire form as 0x hex', () => {
    expect(hexOf(Buffer.from([1, 2, 255]))).toBe('0x0102ff');
    expect(hexOf({ type: 'Buffer', data: [1, 2, 255] })).toBe('0x0102ff');
    expect(hexOf(Buffer.from([1, 2, 255]).toString('base64'))).toBe('0x0102ff');
    expect(hexOf('0xABCD')).toBe('0xabcd');
    expect(hexOf(undefined)).toBe('0x');
  });

  it('reads states and urgencies by number or by name', () => {
    expect(stateOf(7)).toBe('RUNNING');
    expect(stateOf('JOB_STATE_SETTLED')).toBe('SETTLED');
    expect(stateOf('TIMED_OUT')).toBe('TIMED_OUT');
    expect(urgencyOf(3)).toBe('high');
    expect(urgencyOf('URGENCY_CRITICAL')).toBe('critical');
    expect(urgencyOf(0)).toBe('unspecified');
  });

  it('maps a REST job (ts-proto JSON) to the SDK job', () => {
    const j = toJob(
      {
        jobId: '0190a0a0-0000-7000-8000-000000000001',
        client: '0xabc',
        state: 12,
        spec: {
          workload: { image: 'img:1' },
          gpu: { product: '', count: 2, minVramMib: 16384 },
          jobClass: 2,
          urgency: 4,
          regionPreference: ['eu-west'],
          maxDurationSeconds: 600,
        },
        placement: { region: 'eu-west', provider: '0xp', pool: 'l40s-b' },
        quote: {
          quoteId: '123',
          gpuProduct: 'NVIDIA-L40S',
          region: 'eu-west',
          pricePerGpuSecond: { baseUnits: '10' },
          total: { baseUnits: '12000' },
          expiresAt: '2026-01-01T00:00:00.000Z',
          signer: '0xs',
          signature: { type: 'Buffer', data: [9] },
        },
        gpuSeconds: '42',
        cost: { baseUnits: '420' },
        attempt: 1,
      },
      'stable-diffusion',
    );
    expect(j).toMatchObject({
      state: 'SETTLED',
      template: 'stable-diffusion',
      urgency: 'critical',
      jobClass: 'inference',
      gpu: { count: 2, minVramMib: 16384 },
      placement: { region: 'eu-west', pool: 'l40s-b' },
      quote: { quoteId: '123', total: '12000', signature: '0x09' },
      gpuSeconds: 42,
      cost: '420',
    });
  });

  it('leaves placement and quote out until the job has them', () => {
    const j = toJob({ jobId: 'x', state: 1, placement: { region: '' } });
    expect(j.placement).toBeUndefined();
    expect(j.quote).toBeUndefined();
    expect(j.cost).toBe('0');
  });

  it('maps offers and infeasible quote answers', () => {
    const ok = toQuoteResult({
      result: {
        $case: 'offers',
        value: {
          offers: [
            {
              tier: { gpuClass: 'H100-80GB', region: 'us-east', urgency: 2 },
              pricePerGpuSecond: { baseUnits: '5' },
              maxTotal: { baseUnits: '3000' },
              freeGpus: 8,
              quote: {
                nonce: '77',
                maxGpuSeconds: '600',
                signature: { type: 'Buffer', data: [1] },
              },
            },
          ],
        },
      },
    });
    expect(ok).toMatchObject({
      feasible: true,
      offers: [
        {
          tier: { gpuClass: 'H100-80GB', urgency: 'normal' },
          maxTotal: '3000',
          quote: { nonce: '77', maxGpuSeconds: '600', signature: '0x01' },
        },
      ],
    });
    expect(
      toQuoteResult({ result: { $case: 'infeasible', value: { reason: 2, message: 'none' } } }),
    ).toEqual({ feasible: false, reason: '2', message: 'none' });
  });

  it('maps watch messages, state by name', () => {
    expect(
      toWatchEvent('j', { eventType: 'JobStarted', state: 'RUNNING', progressPercent: 60 }),
    ).toMatchObject({ jobId: 'j', state: 'RUNNING', progressPercent: 60, final: false });
  });
});
