import { DEFAULT_MODEL, ModelConfigError, parseModel } from './model-config';

describe('parseModel', () => {
  it('defaults every field', () => {
    expect(parseModel({})).toEqual(DEFAULT_MODEL);
    expect(parseModel(null)).toEqual(DEFAULT_MODEL);
  });

  it('overrides fields, nested ones included', () => {
    const m = parseModel({ name: 'strict', halfLifeDays: 7, startup: { targetSeconds: 10 } });
    expect(m).toMatchObject({
      name: 'strict',
      halfLifeDays: 7,
      startup: { targetSeconds: 10, worstSeconds: 600 },
    });
  });

  it('lists every problem with what is accepted', () => {
    let err: unknown;
    try {
      parseModel(
        {
          version: 2,
          halfLifeDays: -1,
          exclusionThresholdBps: 5000.5,
          typo: 1,
          startup: { targetSeconds: 900 },
        },
        'm.yaml',
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain('invalid reputation model m.yaml');
    expect(msg).toContain('version: 2 is not supported; this service reads version 1');
    expect(msg).toContain('halfLifeDays: -1 is not accepted; expected a number from 0.001 to 3650');
    expect(msg).toContain('exclusionThresholdBps: 5000.5 is not accepted; expected an integer');
    expect(msg).toContain('typo: unknown setting');
    expect(msg).toContain('startup.worstSeconds: must be greater than startup.targetSeconds');
  });

  it('rejects a document that is not a mapping', () => {
    expect(() => parseModel([1, 2])).toThrow('expected a mapping at the top level');
  });
});
