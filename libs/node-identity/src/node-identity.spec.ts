import { Wallet } from 'ethers';
import { nodeIdentityMessage, signNodeIdentity, verifyNodeIdentity, type NodeIdentity } from '.';

const key = new Wallet('0x' + '11'.repeat(32));
const other = new Wallet('0x' + '22'.repeat(32));
const identity: NodeIdentity = {
  node: 'us-east-h100-a-0',
  uid: '76f57f14-230d-4c14-ba8e-4d51dca1cc1a',
  region: 'us-east',
  provider: key.address,
};

describe('node identity', () => {
  it('given an identity, when building the message, then every field is on its own line and the address is lower case', () => {
    expect(nodeIdentityMessage(identity)).toBe(
      [
        'StarMiner node identity v1',
        'node: us-east-h100-a-0',
        'uid: 76f57f14-230d-4c14-ba8e-4d51dca1cc1a',
        'region: us-east',
        `provider: ${key.address.toLowerCase()}`,
      ].join('\n'),
    );
  });

  it('given a field with a line break or a bad address, when building the message, then it says what is wrong', () => {
    expect(() => nodeIdentityMessage({ ...identity, node: 'a\nprovider: 0x00' })).toThrow(
      'node contains a line break',
    );
    expect(() => nodeIdentityMessage({ ...identity, provider: '0x12' })).toThrow(
      "provider '0x12' is not a 0x-prefixed 20-byte hex address",
    );
  });

  it('given the provider signed, when verifying, then it passes', async () => {
    const sig = await signNodeIdentity(key, identity);
    expect(verifyNodeIdentity(identity, sig)).toEqual({ ok: true });
  });

  it('given a signature over another uid, region or node, when verifying, then it is a BadSignature', async () => {
    const sig = await signNodeIdentity(key, identity);
    for (const changed of [
      { ...identity, uid: 'ffffffff-230d-4c14-ba8e-4d51dca1cc1a' },
      { ...identity, region: 'eu-west' },
      { ...identity, node: 'us-east-h100-a-1' },
    ])
      expect(verifyNodeIdentity(changed, sig)).toMatchObject({ ok: false, reason: 'BadSignature' });
  });

  it('given another key signed, when verifying, then it is a BadSignature naming the signer', async () => {
    const forged = await other.signMessage(nodeIdentityMessage(identity));
    const check = verifyNodeIdentity(identity, forged);
    expect(check).toMatchObject({ ok: false, reason: 'BadSignature' });
    expect(check.ok || check.message).toContain(other.address.toLowerCase());
  });

  it('given no or garbage signature, when verifying, then it says so', () => {
    expect(verifyNodeIdentity(identity, undefined)).toMatchObject({ reason: 'MissingSignature' });
    expect(verifyNodeIdentity(identity, '0xdeadbeef')).toMatchObject({
      reason: 'MalformedSignature',
    });
  });

  it('given a key of another address, when signing, then it refuses', async () => {
    await expect(signNodeIdentity(other, identity)).rejects.toThrow('not to the provider');
  });
});
