import { createHash, randomBytes } from 'node:crypto';
import { Contract, JsonRpcProvider, getAddress, hashMessage, verifyMessage } from 'ethers';
import { type Pool } from 'pg';
import { SiweMessage } from 'siwe';
import { type SessionVerifier } from '../app/ports';
import { type Principal, SCOPES } from '../domain/api-key';
import { ApiError } from '../domain/errors';

const sha256 = (s: string) => createHash('sha256').update(s).digest();
const ERC1271_MAGIC = '0x1626ba7e';
const unauthenticated = (why: string) => new ApiError('UNAUTHENTICATED', `sign-in refused: ${why}`);

export interface SiweSettings {
  domain: string;
  chainId: number;
  nonceTtlSeconds: number;
  sessionTtlSeconds: number;
  rpcUrl: string;
}

/**
 * Sign-In with Ethereum (EIP-4361). Nonces are issued and kept here, in Postgres, and spent in
 * the same statement that checks them, so a message signs in at most once on any replica.
 * Contract wallets are checked with ERC-1271 isValidSignature on chain.
 */
export class SiweSessions implements SessionVerifier {
  private readonly provider: JsonRpcProvider;

  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly settings: SiweSettings,
  ) {
    this.provider = new JsonRpcProvider(settings.rpcUrl, undefined, { staticNetwork: true });
  }

  async issueNonce(): Promise<{
    nonce: string;
    expiresAt: string;
    domain: string;
    chainId: number;
  }> {
    const nonce = randomBytes(16).toString('hex');
    const { rows } = await this.pool.query<{ expires_at: Date }>(
      `INSERT INTO "${this.schema}".siwe_nonces (nonce, expires_at)
       VALUES ($1, now() + make_interval(secs => $2)) RETURNING expires_at`,
      [nonce, this.settings.nonceTtlSeconds],
    );
    return {
      nonce,
      expiresAt: rows[0]!.expires_at.toISOString(),
      domain: this.settings.domain,
      chainId: this.settings.chainId,
    };
  }

  /** Verifies a signed message and opens a session; every refusal is 401 with the reason. */
  async signIn(
    message: string,
    signature: string,
    now: Date,
  ): Promise<{ token: string; address: string; expiresAt: string }> {
    let m: SiweMessage;
    try {
      m = new SiweMessage(message);
    } catch (err) {
      throw unauthenticated(
        `not an EIP-4361 message (${err instanceof Error ? err.message : String(err)})`,
      );
    }
    if (m.domain !== this.settings.domain)
      throw unauthenticated(`wrong domain ${m.domain}, expected ${this.settings.domain}`);
    if (Number(m.chainId) !== this.settings.chainId)
      throw unauthenticated(`wrong chain id ${m.chainId}, expected ${this.settings.chainId}`);
    if (m.expirationTime && new Date(m.expirationTime) <= now)
      throw unauthenticated('message expired');
    if (m.notBefore && new Date(m.notBefore) > now) throw unauthenticated('message not valid yet');
    if (!/^0x[0-9a-fA-F]{130}$|^0x[0-9a-fA-F]+$/.test(signature))
      throw unauthenticated('signature is not 0x hex');
    const address = getAddress(m.address);
    if (!(await this.signatureValid(address, message, signature)))
      throw unauthenticated('signature does not match the address');
    // Spend the nonce last: only a message that passed every check uses it up, and only once.
    const spent = await this.pool.query(
      `UPDATE "${this.schema}".siwe_nonces SET used_at = now()
       WHERE nonce = $1 AND used_at IS NULL AND expires_at > now()`,
      [m.nonce],
    );
    if (spent.rowCount !== 1) throw unauthenticated('nonce unknown, expired or already used');
    const token = `sms_${randomBytes(32).toString('base64url')}`;
    const ttlEnd = new Date(now.getTime() + this.settings.sessionTtlSeconds * 1000);
    const expires =
      m.expirationTime && new Date(m.expirationTime) < ttlEnd ? new Date(m.expirationTime) : ttlEnd;
    await this.pool.query(
      `INSERT INTO "${this.schema}".sessions (token_sha256, tenant, expires_at) VALUES ($1, $2, $3)`,
      [sha256(token), address.toLowerCase(), expires],
    );
    return { token, address, expiresAt: expires.toISOString() };
  }

  private async signatureValid(
    address: string,
    message: string,
    signature: string,
  ): Promise<boolean> {
    try {
      if (verifyMessage(message, signature).toLowerCase() === address.toLowerCase()) return true;
    } catch {
      // Not a 65-byte ECDSA signature: it may still be a contract wallet's.
    }
    const code = await this.provider.getCode(address);
    if (code === '0x') return false;
    const wallet = new Contract(
      address,
      ['function isValidSignature(bytes32,bytes) view returns (bytes4)'],
      this.provider,
    );
    try {
      return (
        (await wallet.getFunction('isValidSignature')(hashMessage(message), signature)) ===
        ERC1271_MAGIC
      );
    } catch {
      return false;
    }
  }

  async authenticate(token: string): Promise<Principal | undefined> {
    const { rows } = await this.pool.query<{ tenant: string }>(
      `SELECT tenant FROM "${this.schema}".sessions
       WHERE token_sha256 = $1 AND revoked_at IS NULL AND expires_at > now()`,
      [sha256(token)],
    );
    return rows[0]
      ? { tenant: rows[0].tenant, via: 'session', scopes: new Set(SCOPES) }
      : undefined;
  }

  async signOut(token: string): Promise<void> {
    await this.pool.query(
      `UPDATE "${this.schema}".sessions SET revoked_at = now() WHERE token_sha256 = $1`,
      [sha256(token)],
    );
  }

  close(): void {
    this.provider.destroy();
  }
}
