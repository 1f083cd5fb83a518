import { ConfigError, defineConfig } from './define-config';
import { int, oneOf, port, sqlIdentifier, str, url } from './env-vars';
import { serviceConfigSchema } from './service-config';

function issuesOf(load: () => unknown): ConfigError['issues'] {
  try {
    load();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('defineConfig', () => {
  const load = defineConfig(
    'pricing',
    serviceConfigSchema({ service: 'pricing', httpPort: 8082, grpcPort: 50052 }),
  );
  const good = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/starminer' };

  it('applies defaults and returns a typed, frozen config', () => {
    const config = load(good);
    expect(config).toEqual({
      HTTP_PORT: 8082,
      GRPC_PORT: 50052,
      DATABASE_URL: good.DATABASE_URL,
      DATABASE_SCHEMA: 'pricing',
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: 10_000,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('defaults the schema to the service name in snake_case', () => {
    const loadIndexer = defineConfig(
      'chain-indexer',
      serviceConfigSchema({ service: 'chain-indexer', httpPort: 1, grpcPort: 2 }),
    );
    expect(loadIndexer(good).DATABASE_SCHEMA).toBe('chain_indexer');
  });

  it('reports every bad variable at once, with its value, the problem and what is accepted', () => {
    const env = { HTTP_PORT: 'abc', DATABASE_URL: 'nope', LOG_LEVEL: 'loud', GRPC_PORT: '70000' };
    let error: ConfigError | undefined;
    try {
      load(env);
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.issues.map((i) => i.name)).toEqual([
      'HTTP_PORT',
      'GRPC_PORT',
      'DATABASE_URL',
      'LOG_LEVEL',
    ]);
    expect(error?.message).toContain(
      'invalid configuration for pricing: 4 bad environment variables',
    );
    expect(error?.message).toContain(
      'HTTP_PORT="abc": is not an integer; accepted: a TCP port, an integer from 0 to 65535 (0 picks a free port) (default 8082)',
    );
    expect(error?.message).toContain('GRPC_PORT="70000": is out of range');
    expect(error?.message).toContain(
      'DATABASE_URL="nope": is not a URL; accepted: a postgres:// or postgresql:// URL',
    );
    expect(error?.message).toContain(
      'LOG_LEVEL="loud": is not an accepted value; accepted: one of fatal, error, warn, info, debug, trace (default info)',
    );
  });

  it('names a required variable that is unset', () => {
    const [issue] = issuesOf(() => load({}));
    expect(issue).toEqual({
      name: 'DATABASE_URL',
      value: undefined,
      problem: 'is required but not set',
      accepted: 'a postgres:// or postgresql:// URL',
    });
  });
});

describe('variable kinds', () => {
  it('url: rejects another scheme and never shows the password', () => {
    const load = defineConfig('x', { DATABASE_URL: url({ protocols: ['postgres'] }) });
    const [issue] = issuesOf(() => load({ DATABASE_URL: 'mysql://app:s3cret@db:3306/x' }));
    expect(issue?.problem).toBe("has the scheme 'mysql'");
    expect(issue?.value).toBe('mysql://app:***@db:3306/x');
    expect(JSON.stringify(issue)).not.toContain('s3cret');
  });

  it('int: rejects fractions and values out of range, naming the range', () => {
    const load = defineConfig('x', { N: int({ min: 1, max: 10 }) });
    expect(issuesOf(() => load({ N: '1.5' }))[0]?.problem).toBe('is not an integer');
    const [issue] = issuesOf(() => load({ N: '11' }));
    expect(issue).toMatchObject({
      problem: 'is out of range',
      accepted: 'an integer from 1 to 10',
    });
    expect(load({ N: ' 7 ' }).N).toBe(7);
  });

  it('port: accepts 0 to let the OS pick', () => {
    expect(defineConfig('x', { P: port() })({ P: '0' }).P).toBe(0);
  });

  it('oneOf: lists the accepted words', () => {
    const load = defineConfig('x', { MODE: oneOf(['a', 'b'] as const) });
    expect(issuesOf(() => load({ MODE: 'c' }))[0]?.accepted).toBe('one of a, b');
  });

  it('sqlIdentifier: rejects what would need quoting', () => {
    const load = defineConfig('x', { S: sqlIdentifier() });
    expect(issuesOf(() => load({ S: 'Drop Table' }))[0]?.problem).toBe('has the wrong form');
    expect(load({ S: 'chain_indexer' }).S).toBe('chain_indexer');
  });

  it('str: treats an empty value as unset', () => {
    const load = defineConfig('x', { S: str() });
    expect(issuesOf(() => load({ S: '' }))[0]?.problem).toBe('is required but not set');
  });
});
