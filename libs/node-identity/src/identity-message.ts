/**
 * What a provider signs to claim a node: the node's name and uid (the uid changes when a node
 * object is deleted and re-created, so a signature cannot be replayed onto a new node that
 * reuses a name), the region the node joins and the provider's address.
 */
export interface NodeIdentity {
  node: string;
  uid: string;
  region: string;
  provider: string;
}

export const NODE_IDENTITY_VERSION = '1';

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** Throws with what is wrong when an identity field cannot be signed unambiguously. */
export function assertValidIdentity(id: NodeIdentity): void {
  const problems: string[] = [];
  for (const key of ['node', 'uid', 'region'] as const) {
    if (!id[key]) problems.push(`${key} is empty`);
    else if (/[\r\n]/.test(id[key])) problems.push(`${key} contains a line break`);
  }
  if (!ADDRESS.test(id.provider))
    problems.push(`provider '${id.provider}' is not a 0x-prefixed 20-byte hex address`);
  if (problems.length > 0) throw new Error(`invalid node identity: ${problems.join('; ')}`);
}

/**
 * The text signed with EIP-191 (personal_sign), readable in any wallet. One field per line, the
 * address lower case, so the CLI and the registry always build the same bytes.
 */
export function nodeIdentityMessage(id: NodeIdentity): string {
  assertValidIdentity(id);
  return [
    `StarMiner node identity v${NODE_IDENTITY_VERSION}`,
    `node: ${id.node}`,
    `uid: ${id.uid}`,
    `region: ${id.region}`,
    `provider: ${id.provider.toLowerCase()}`,
  ].join('\n');
}
