import { DEFAULT_POLICY, PolicyError, parsePolicy } from './policy';

describe('parsePolicy', () => {
  it('fills in every default for an empty document', () => {
    expect(parsePolicy({ version: 1 })).toEqual(DEFAULT_POLICY);
    expect(parsePolicy(undefined)).toEqual(DEFAULT_POLICY);
  });

  it('reads prices as exact decimal strings of base units', () => {
    const p = parsePolicy({ basePrices: { L40S: '123456789012345678901' }, maxStepBps: 300 });
    expect(p.basePrices.L40S).toBe(123456789012345678901n);
    expect(p.basePrices['H100-80GB']).toBe(DEFAULT_POLICY.basePrices['H100-80GB']);
    expect(p.maxStepBps).toBe(300n);
  });

  it('lists every bad field with what is accepted', () => {
    let err: PolicyError | undefined;
    try {
      parsePolicy(
        {
          version: 2,
          maxStepBps: 0,
          basePrices: { B200: '1', L40S: 0.5 },
          urgencyMultipliersBps: { low: 20_000 },
          smothing: 1,
        },
        'policy.yaml',
      );
    } catch (e) {
      err = e as PolicyError;
    }
    expect(err).toBeInstanceOf(PolicyError);
    expect(err!.message).toContain('invalid pricing policy policy.yaml');
    expect(err!.issues).toEqual(
      expect.arrayContaining([
        expect.stringContaining('smothing: unknown field'),
        expect.stringContaining('version: only version 1 is supported'),
        expect.stringContaining(
          'maxStepBps: expected basis points, an integer from 1 to 10000, got 0',
        ),
        expect.stringContaining('basePrices.B200: unknown GPU class'),
        expect.stringContaining('basePrices.L40S: expected a positive decimal string'),
        expect.stringContaining('urgencyMultipliersBps: normal (10000) must be above low (20000)'),
      ]),
    );
  });
});
