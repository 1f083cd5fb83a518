import { type ApiError } from '../domain/errors';
import { perMinute } from '../domain/token-bucket';
import { Authenticator, RateLimits, bearerToken } from './authenticate';
import { ManualClock } from '@starminer/service-kit';
import {
  FakeCredentials,
  InMemoryRateLimiter,
  WALLET_A,
  keyOf,
  sessionOf,
} from './gateway.fixtures';

const KEY = `smk_0123456789ab_${'k'.repeat(43)}`;

const refusal = (work: Promise<unknown>) =>
  work.then(
    () => {
      throw new Error('expected a refusal');
    },
    (err: ApiError) => err,
  );

describe('Authenticator', () => {
  const byKey = keyOf(WALLET_A, '0123456789ab', ['jobs:read']);
  const auth = new Authenticator(
    new FakeCredentials({ [KEY]: byKey }),
    new FakeCredentials({ sms_live: sessionOf(WALLET_A) }),
  );

  it('takes the caller from an API key first, else from a session token', async () => {
    expect(await auth.principal(KEY, 'sms_live')).toBe(byKey);
    expect(await auth.principal(undefined, 'sms_live')).toMatchObject({
      tenant: WALLET_A,
      via: 'session',
    });
  });

  it('refuses an unknown key or session, and a call without credentials, as UNAUTHENTICATED', async () => {
    expect(await refusal(auth.principal('smk_nope', undefined))).toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'API key unknown, malformed or revoked',
    });
    // A bad key is refused even when a good session comes with it.
    expect((await refusal(auth.principal('smk_nope', 'sms_live'))).code).toBe('UNAUTHENTICATED');
    expect(await refusal(auth.principal(undefined, 'sms_gone'))).toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'session unknown, expired or signed out',
    });
    expect((await refusal(auth.principal(undefined, undefined))).message).toMatch(
      /^credentials required/,
    );
  });

  it('reads the token of a Bearer authorization only', () => {
    expect(bearerToken('Bearer sms_abc')).toBe('sms_abc');
    expect(bearerToken('bearer sms_abc')).toBe('sms_abc');
    expect(bearerToken('Basic dXNlcg==')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

describe('RateLimits', () => {
  function setup() {
    const clock = new ManualClock();
    const limiter = new InMemoryRateLimiter(clock);
    const limits = new RateLimits(limiter, { submit: perMinute(60, 2), stream: perMinute(6, 1) });
    return { clock, limiter, limits };
  }

  it('gives a wallet its burst, then refuses with the wait until the next token', async () => {
    const { clock, limits } = setup();
    const p = sessionOf(WALLET_A);
    await limits.take(p, 'submit');
    await limits.take(p, 'submit');
    expect(await refusal(limits.take(p, 'submit'))).toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterSeconds: 1,
    });
    // Submissions and watches are counted apart.
    await limits.take(p, 'stream');
    clock.advance(1_000);
    await limits.take(p, 'submit');
  });

  it("charges an API key's own bucket and its wallet's, and neither when one of them is empty", async () => {
    const { limiter, limits } = setup();
    const k1 = keyOf(WALLET_A, 'k1', ['jobs:write']);
    const k2 = keyOf(WALLET_A, 'k2', ['jobs:write']);
    await limits.take(k1, 'submit');
    await limits.take(k2, 'submit');
    expect([...limiter.buckets.keys()].sort()).toEqual([
      `key:k1:submit`,
      `key:k2:submit`,
      `wallet:${WALLET_A}:submit`,
    ]);
    // The wallet's two tokens are spent: k1's own bucket, which still has one, is left alone.
    expect((await refusal(limits.take(k1, 'submit'))).code).toBe('RATE_LIMITED');
    expect(limiter.buckets.get('key:k1:submit')!.tokens).toBe(1);
  });
});
