import { SiweMessage } from 'siwe';
import { type RestTransport } from './rest-transport';

/** What signing in needs from a wallet: an ethers Signer (Wallet, browser or KMS signer) fits. */
export interface MessageSigner {
  getAddress(): Promise<string>;
  signMessage(message: string): Promise<string>;
}

export const API_KEY_SCOPES = ['jobs:read', 'jobs:write', 'balances:read', 'prices:read'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export interface Session {
  token: string;
  address: string;
  expiresAt: string;
}

export interface ApiKeyInfo {
  keyId: string;
  name: string;
  scopes: ApiKeyScope[];
  createdAt?: string;
  revokedAt?: string | null;
}

/**
 * The EIP-4361 message the gateway accepts: its domain and chain id (from the nonce answer), the
 * wallet's address and the single-use nonce. Valid for ten minutes.
 */
export function siweMessageText(o: {
  domain: string;
  chainId: number;
  address: string;
  nonce: string;
  now?: Date;
  statement?: string;
}): string {
  const now = o.now ?? new Date();
  return new SiweMessage({
    domain: o.domain,
    address: o.address,
    uri: `http://${o.domain}`,
    version: '1',
    chainId: o.chainId,
    nonce: o.nonce,
    issuedAt: now.toISOString(),
    expirationTime: new Date(now.getTime() + 10 * 60_000).toISOString(),
    statement: o.statement ?? 'Sign in to StarMiner',
  }).prepareMessage();
}

/** Sign-In with Ethereum: asks a nonce, signs the message with `signer`, returns the session. */
export async function signInWithEthereum(
  rest: RestTransport,
  signer: MessageSigner,
): Promise<Session> {
  const n = await rest.request<{ nonce: string; domain: string; chainId: number }>(
    'POST',
    '/v1/auth/siwe/nonce',
  );
  const message = siweMessageText({ ...n, address: await signer.getAddress() });
  const signature = await signer.signMessage(message);
  return rest.request<Session>('POST', '/v1/auth/siwe/verify', { message, signature });
}

/** API keys are managed from a session: create (the key is shown once), list, revoke. */
export async function createApiKey(
  rest: RestTransport,
  name: string,
  scopes: readonly ApiKeyScope[] = API_KEY_SCOPES,
): Promise<ApiKeyInfo & { key: string }> {
  return rest.request('POST', '/v1/api-keys', { name, scopes });
}

export async function listApiKeys(rest: RestTransport): Promise<ApiKeyInfo[]> {
  return (await rest.request<{ keys: ApiKeyInfo[] }>('GET', '/v1/api-keys')).keys;
}

export async function revokeApiKey(rest: RestTransport, keyId: string): Promise<void> {
  await rest.request('DELETE', `/v1/api-keys/${encodeURIComponent(keyId)}`);
}

export async function signOut(rest: RestTransport): Promise<void> {
  await rest.request('DELETE', '/v1/auth/session');
}
