import { Readiness, type ReadinessReport } from './readiness';

const passing = (name: string) => ({ name, check: () => Promise.resolve() });
const failing = (name: string, why: string) => ({
  name,
  check: () => Promise.reject(new Error(why)),
});

describe('Readiness', () => {
  it('is ready when every check passes', async () => {
    const readiness = new Readiness();
    readiness.register(passing('postgres'));
    readiness.register(passing('chain-rpc'));
    expect(await readiness.evaluate()).toEqual({
      ready: true,
      checks: [
        { name: 'postgres', ok: true },
        { name: 'chain-rpc', ok: true },
      ],
    });
  });

  it('is not ready when any check fails, and says which and why', async () => {
    const readiness = new Readiness();
    readiness.register(passing('postgres'));
    readiness.register(failing('chain-rpc', 'connect ECONNREFUSED 127.0.0.1:1'));
    const report = await readiness.evaluate();
    expect(report.ready).toBe(false);
    expect(report.checks).toContainEqual({
      name: 'chain-rpc',
      ok: false,
      error: 'connect ECONNREFUSED 127.0.0.1:1',
    });
  });

  it('fails a check that does not answer in time', async () => {
    const readiness = new Readiness(10);
    readiness.register({ name: 'hung', check: () => new Promise<void>(() => undefined) });
    const report = await readiness.evaluate();
    expect(report.checks).toEqual([
      { name: 'hung', ok: false, error: 'hung: no answer within 10 ms' },
    ]);
  });

  it('is never ready again once stopping, and tells its listeners', async () => {
    const readiness = new Readiness();
    readiness.register(passing('postgres'));
    const heard: ReadinessReport[] = [];
    readiness.onChange((r) => heard.push(r));
    await readiness.evaluate();
    readiness.markStopping();
    const after = await readiness.evaluate();
    expect(after.ready).toBe(false);
    expect(after.checks[0]).toMatchObject({ name: 'shutdown', error: 'the service is stopping' });
    expect(heard.map((r) => r.ready)).toEqual([true, false, false]);
  });

  it('refuses two checks with the same name', () => {
    const readiness = new Readiness();
    readiness.register(passing('postgres'));
    expect(() => readiness.register(passing('postgres'))).toThrow(
      "readiness check 'postgres' is registered twice",
    );
  });
});
