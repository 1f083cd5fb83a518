import { JsonLogger } from './json-logger';

function capture(level: 'info' | 'debug' = 'info') {
  const lines: string[] = [];
  const logger = new JsonLogger({
    service: 'matchmaker',
    level,
    write: (line) => lines.push(line),
    now: () => new Date('2030-01-02T03:04:05.678Z'),
  });
  const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines, parsed };
}

describe('JsonLogger', () => {
  it('writes one JSON object per line with time, level, service, msg and context fields', () => {
    const { logger, lines, parsed } = capture();
    logger.child({ jobId: 'j-1' }).info('job matched', { region: 'us-east' });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith('\n')).toBe(true);
    expect(lines[0]?.slice(0, -1)).not.toContain('\n');
    expect(parsed()[0]).toEqual({
      time: '2030-01-02T03:04:05.678Z',
      level: 'info',
      service: 'matchmaker',
      msg: 'job matched',
      jobId: 'j-1',
      region: 'us-east',
    });
  });

  it('serializes errors with their code and message', () => {
    const { logger, parsed } = capture();
    const err = Object.assign(new Error('escrow not funded'), { code: 'ESCROW_MISSING' });
    logger.error('cannot queue job', { jobId: 'j-2', err });
    expect(parsed()[0]).toMatchObject({
      level: 'error',
      msg: 'cannot queue job',
      jobId: 'j-2',
      err: { code: 'ESCROW_MISSING', message: 'escrow not funded', name: 'Error' },
    });
  });

  it("takes Nest's calls: context as the last string, stack before it on error", () => {
    const { logger, parsed } = capture();
    logger.log('Mapped {/healthz, GET} route', 'RouterExplorer');
    logger.error('boom', 'Error: boom\n    at x', 'ExceptionHandler');
    const [log, error] = parsed();
    expect(log).toMatchObject({
      level: 'info',
      msg: 'Mapped {/healthz, GET} route',
      context: 'RouterExplorer',
    });
    expect(error).toMatchObject({
      level: 'error',
      msg: 'boom',
      context: 'ExceptionHandler',
      stack: 'Error: boom\n    at x',
    });
  });

  it('drops lines below its level', () => {
    const { logger, parsed } = capture('info');
    logger.debug('noise');
    logger.verbose('more noise');
    logger.warn('kept');
    expect(parsed().map((l) => l.msg)).toEqual(['kept']);
  });

  it('never throws on values JSON cannot hold', () => {
    const { logger, parsed } = capture();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    logger.info('odd values', { amount: 10n ** 24n, cyclic });
    expect(parsed()[0]).toMatchObject({
      amount: '1000000000000000000000000',
      cyclic: { self: '[circular]' },
    });
  });
});
