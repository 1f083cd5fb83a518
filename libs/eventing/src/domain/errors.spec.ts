import {
  ConcurrencyError,
  DecodeError,
  isRetryable,
  NonRetryableError,
  RetryableError,
} from './errors';

describe('isRetryable', () => {
  it.each([
    ['a ConcurrencyError', new ConcurrencyError('job-1', 3, 4), true],
    ['a RetryableError', new RetryableError('later'), true],
    ['a NonRetryableError', new NonRetryableError('never'), false],
    ['a DecodeError', new DecodeError('garbage'), false],
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      true,
    ],
    [
      'Postgres admin shutdown (57P01)',
      Object.assign(new Error('terminating'), { code: '57P01' }),
      true,
    ],
    ['a connection exception (08006)', Object.assign(new Error('conn'), { code: '08006' }), true],
    ['a serialization failure', Object.assign(new Error('ser'), { code: '40001' }), true],
    ['a unique violation', Object.assign(new Error('dup'), { code: '23505' }), false],
    ['a syntax error', Object.assign(new Error('syntax'), { code: '42601' }), false],
    ['a dropped pg connection', new Error('Connection terminated unexpectedly'), true],
    ['a kafkajs retriable error', Object.assign(new Error('leader'), { retriable: true }), true],
    ['a kafkajs fatal error', Object.assign(new Error('auth'), { retriable: false }), false],
    ['a plain error', new Error('bug'), false],
    [
      'a wrapped retryable cause',
      new Error('outer', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }),
      true,
    ],
    ['a string', 'oops', false],
  ])('given %s, returns %s', (_what, err, expected) => {
    expect(isRetryable(err)).toBe(expected);
  });
});
