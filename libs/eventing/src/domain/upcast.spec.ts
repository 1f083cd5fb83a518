import { upcast } from './upcast';

describe('upcast', () => {
  const chain = {
    1: (e: Record<string, unknown>) => ({ ...e, gpuSeconds: Number(e.gpuMinutes) * 60 }),
    3: (e: Record<string, unknown>) => ({ ...e, region: e.region ?? 'us-east' }),
  };

  it('applies each step from the written version to the current one', () => {
    expect(upcast({ gpuMinutes: 2 }, 1, 4, chain)).toEqual({
      gpuMinutes: 2,
      gpuSeconds: 120,
      region: 'us-east',
    });
  });

  it('skips versions without a step and steps below the written version', () => {
    expect(upcast({ gpuSeconds: 5 }, 2, 4, chain)).toEqual({ gpuSeconds: 5, region: 'us-east' });
  });

  it('passes current and newer events through unchanged', () => {
    const e = { gpuSeconds: 1, region: 'eu-west' };
    expect(upcast(e, 4, 4, chain)).toBe(e);
    expect(upcast(e, 6, 4, chain)).toBe(e);
  });
});
