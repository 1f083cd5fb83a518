import { type Principal } from '../domain/api-key';
import { ApiError } from '../domain/errors';
import { type BucketPolicy } from '../domain/token-bucket';
import { type ApiKeyVerifier, type RateLimiter, type SessionVerifier } from './ports';

/**
 * Who is calling, for both APIs: an API key (`x-api-key`) or a Sign-In with Ethereum session
 * (`Authorization: Bearer <token>`). REST reads them from headers, gRPC from call metadata.
 */
export class Authenticator {
  constructor(
    private readonly keys: ApiKeyVerifier,
    private readonly sessions: SessionVerifier,
  ) {}

  async principal(apiKey: string | undefined, bearer: string | undefined): Promise<Principal> {
    if (apiKey) {
      const p = await this.keys.authenticate(apiKey);
      if (!p) throw new ApiError('UNAUTHENTICATED', 'API key unknown, malformed or revoked');
      return p;
    }
    if (bearer) {
      const p = await this.sessions.authenticate(bearer);
      if (!p) throw new ApiError('UNAUTHENTICATED', 'session unknown, expired or signed out');
      return p;
    }
    throw new ApiError(
      'UNAUTHENTICATED',
      'credentials required: x-api-key, or authorization: Bearer <session token>',
    );
  }
}

/** The token in an `Authorization: Bearer <token>` value, if that is its form. */
export const bearerToken = (authorization: string | undefined): string | undefined =>
  /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];

/**
 * Rate limits of a caller: a bucket per wallet and one per API key (if any), for submissions
 * and for open watches. Taken only after a request passed validation, so a refused request
 * costs nothing.
 */
export class RateLimits {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly policies: { submit: BucketPolicy; stream: BucketPolicy },
  ) {}

  take(p: Principal, kind: 'submit' | 'stream'): Promise<void> {
    const policy = this.policies[kind];
    const list = [{ bucket: `wallet:${p.tenant}:${kind}`, policy }];
    if (p.keyId) list.push({ bucket: `key:${p.keyId}:${kind}`, policy });
    return this.limiter.take(list);
  }
}
