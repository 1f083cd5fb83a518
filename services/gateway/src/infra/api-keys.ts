import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Pool } from 'pg';
import { type ApiKeyVerifier } from '../app/ports';
import { type Principal, type Scope, formatApiKey, parseApiKey } from '../domain/api-key';

const sha256 = (s: string) => createHash('sha256').update(s).digest();

export interface ApiKeyInfo {
  keyId: string;
  name: string;
  scopes: Scope[];
  createdAt: string;
  revokedAt: string | null;
}

/** API keys of tenants. Every request reads the row, so a revocation holds from the next one. */
export class ApiKeyRepository implements ApiKeyVerifier {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {}

  /** Returns the key once; only its hash is kept. */
  async create(
    tenant: string,
    name: string,
    scopes: Scope[],
  ): Promise<{ key: string; info: ApiKeyInfo }> {
    const keyId = randomBytes(6).toString('hex');
    const key = formatApiKey(keyId, randomBytes(32).toString('base64url'));
    const { rows } = await this.pool.query<{ created_at: Date }>(
      `INSERT INTO "${this.schema}".api_keys (key_id, tenant, name, scopes, secret_sha256)
       VALUES ($1, $2, $3, $4, $5) RETURNING created_at`,
      [keyId, tenant, name, scopes, sha256(key)],
    );
    return {
      key,
      info: { keyId, name, scopes, createdAt: rows[0]!.created_at.toISOString(), revokedAt: null },
    };
  }

  async authenticate(presented: string): Promise<Principal | undefined> {
    const parsed = parseApiKey(presented);
    if (!parsed) return undefined;
    const { rows } = await this.pool.query<{
      tenant: string;
      scopes: Scope[];
      secret_sha256: Buffer;
    }>(
      `SELECT tenant, scopes, secret_sha256 FROM "${this.schema}".api_keys
       WHERE key_id = $1 AND revoked_at IS NULL`,
      [parsed.keyId],
    );
    const row = rows[0];
    // Constant-time compare of the hashes: timing says nothing about how much matched.
    if (!row || !timingSafeEqual(row.secret_sha256, sha256(presented.trim()))) return undefined;
    return { tenant: row.tenant, via: 'api-key', keyId: parsed.keyId, scopes: new Set(row.scopes) };
  }

  async list(tenant: string): Promise<ApiKeyInfo[]> {
    const { rows } = await this.pool.query<{
      key_id: string;
      name: string;
      scopes: Scope[];
      created_at: Date;
      revoked_at: Date | null;
    }>(
      `SELECT key_id, name, scopes, created_at, revoked_at FROM "${this.schema}".api_keys
       WHERE tenant = $1 ORDER BY created_at DESC`,
      [tenant],
    );
    return rows.map((r) => ({
      keyId: r.key_id,
      name: r.name,
      scopes: r.scopes,
      createdAt: r.created_at.toISOString(),
      revokedAt: r.revoked_at?.toISOString() ?? null,
    }));
  }

  /** False when the tenant has no such key (another tenant's key is "no such key"). */
  async revoke(tenant: string, keyId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE "${this.schema}".api_keys SET revoked_at = coalesce(revoked_at, now())
       WHERE key_id = $1 AND tenant = $2`,
      [keyId, tenant],
    );
    return (rowCount ?? 0) > 0;
  }
}
