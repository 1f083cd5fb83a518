import { type Signer, verifyMessage } from 'ethers';
import { type NodeIdentity, nodeIdentityMessage } from './identity-message';

/** Signs the node identity with the provider key (EIP-191). */
export async function signNodeIdentity(signer: Signer, id: NodeIdentity): Promise<string> {
  const address = (await signer.getAddress()).toLowerCase();
  if (address !== id.provider.toLowerCase())
    throw new Error(
      `the key belongs to ${address}, not to the provider ${id.provider.toLowerCase()} the node names`,
    );
  return signer.signMessage(nodeIdentityMessage(id));
}

export type SignatureCheck =
  | { ok: true }
  | {
      ok: false;
      reason: 'MissingSignature' | 'MalformedSignature' | 'BadSignature';
      message: string;
    };

/** Whether `signature` is the provider's signature over exactly this node identity. */
export function verifyNodeIdentity(
  id: NodeIdentity,
  signature: string | undefined,
): SignatureCheck {
  if (!signature)
    return {
      ok: false,
      reason: 'MissingSignature',
      message: 'the node carries no provider signature',
    };
  let recovered: string;
  try {
    recovered = verifyMessage(nodeIdentityMessage(id), signature).toLowerCase();
  } catch (err) {
    return {
      ok: false,
      reason: 'MalformedSignature',
      message: `the signature cannot be decoded: ${err instanceof Error ? err.message.split(' (')[0] : String(err)}`,
    };
  }
  if (recovered !== id.provider.toLowerCase())
    return {
      ok: false,
      reason: 'BadSignature',
      message: `the signature over node ${id.node} (uid ${id.uid}, region ${id.region}) was made by ${recovered}, not by the provider ${id.provider.toLowerCase()}`,
    };
  return { ok: true };
}
