import { isDependencyUnavailable } from './unavailable';

describe('isDependencyUnavailable', () => {
  const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

  it('given a pool wait that timed out, a refused connection or a Postgres shutdown, says retry', () => {
    expect(isDependencyUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(
      true,
    );
    expect(
      isDependencyUnavailable(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')),
    ).toBe(true);
    expect(
      isDependencyUnavailable(
        withCode('terminating connection due to administrator command', '57P01'),
      ),
    ).toBe(true);
    expect(isDependencyUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('given a bad request, a constraint violation or a bug, leaves the mapping to the service', () => {
    expect(isDependencyUnavailable(new Error('region must be one of us-east, eu-west'))).toBe(
      false,
    );
    expect(isDependencyUnavailable(withCode('duplicate key value', '23505'))).toBe(false);
    expect(isDependencyUnavailable(new TypeError('Cannot read properties of undefined'))).toBe(
      false,
    );
    expect(isDependencyUnavailable('not an error')).toBe(false);
  });
});
