import { HDNodeWallet, Mnemonic, type Provider } from 'ethers';

/** anvil's (and hardhat's) well-known test mnemonic. Its keys are public: local chains only. */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk';
export const DEV_CHAIN_ID = 31337;

/** Which dev account holds which protocol key on a local chain; accounts 10-19 are left for tests and demos. */
export const DEV_ACCOUNT_INDEX = {
  deployer: 0,
  admin: 1,
  quoteSigner: 2,
  settler: 3,
  validator: 3,
  slasher: 4,
  treasury: 5,
} as const;

export type DevRole = keyof typeof DEV_ACCOUNT_INDEX;

const root = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEV_MNEMONIC), "m/44'/60'/0'/0");

/** Dev account `index` of the test mnemonic (m/44'/60'/0'/0/index), optionally connected. */
export function devWallet(index: number, provider?: Provider): HDNodeWallet {
  const wallet = root.deriveChild(index);
  return provider ? wallet.connect(provider) : wallet;
}

export function devRoleWallet(role: DevRole, provider?: Provider): HDNodeWallet {
  return devWallet(DEV_ACCOUNT_INDEX[role], provider);
}
