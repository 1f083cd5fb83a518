/** What an API key may do. Sessions (Sign-In with Ethereum) may do all of it and manage keys. */
export const SCOPES = ['jobs:read', 'jobs:write', 'balances:read', 'prices:read'] as const;
export type Scope = (typeof SCOPES)[number];

export const isScope = (s: unknown): s is Scope => SCOPES.includes(s as Scope);

/**
 * An API key is `smk_<keyId>_<secret>`: the key id (12 hex) finds the row, the secret (32
 * random bytes, base64url) is what is checked. Only SHA-256 of the whole key is stored: a
 * high-entropy secret needs no slow hash, and a stolen table does not yield usable keys.
 */
const KEY_FORM = /^smk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export function parseApiKey(raw: string): { keyId: string } | undefined {
  const m = KEY_FORM.exec(raw.trim());
  return m ? { keyId: m[1]! } : undefined;
}

export function formatApiKey(keyId: string, secret: string): string {
  return `smk_${keyId}_${secret}`;
}

/** Who is calling: a wallet (the tenant), through a session or one of its API keys. */
export interface Principal {
  /** Lower-case 0x wallet address: the tenant that owns jobs and balances. */
  tenant: string;
  via: 'api-key' | 'session';
  keyId?: string;
  scopes: ReadonlySet<Scope>;
}
