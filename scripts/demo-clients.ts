// Demo clients: dev wallets that hold AGPU after the deploy, each signed in to the gateway with
// Sign-In with Ethereum and using an API key it created, the way a client application would.
import { NonceManager, Wallet, formatUnits, type JsonRpcProvider } from 'ethers';
import { connectContracts, devWallet, type Deployments } from '@starminer/chain';
import { StarMinerClient } from '@starminer/sdk';

/**
 * The demo's clients are dev accounts 30-35 of the test mnemonic and the CLI user's wallet is
 * account 40: beyond the 20 accounts anvil funds and the ones tests use, so a demo never shares a
 * wallet (and its nonces) with a running test. Account 10, which the deploy grants AGPU, funds
 * them with ETH for gas and AGPU for deposits.
 */
export const CLIENT_ACCOUNTS = [30, 31, 32, 33, 34, 35];
export const CLI_ACCOUNT = 40;
const TREASURY_ACCOUNT = 10;
const MIN_CLIENT_AGPU = 10_000n * 10n ** 18n;
const MIN_CLIENT_ETH = 10n * 10n ** 18n;

export interface DemoClient {
  name: string;
  address: string;
  client: StarMinerClient;
}

/**
 * Funds every client wallet (and the CLI user's) with ETH for gas and AGPU for deposits, and
 * registers the demo clients as clients on chain (the SDK would do it before a first deposit, as
 * it will for the CLI user). Returns a line per wallet.
 */
export async function fundClients(d: Deployments, chain: JsonRpcProvider): Promise<string[]> {
  const treasurer = new NonceManager(devWallet(TREASURY_ACCOUNT, chain));
  const treasury = connectContracts(d, treasurer);
  const lines: string[] = [];
  for (const index of [...CLIENT_ACCOUNTS, CLI_ACCOUNT]) {
    const wallet = new Wallet(devWallet(index).privateKey, chain);
    if ((await chain.getBalance(wallet.address)) < MIN_CLIENT_ETH)
      await (await treasurer.sendTransaction({ to: wallet.address, value: MIN_CLIENT_ETH })).wait();
    let balance = await treasury.agpu.balanceOf(wallet.address);
    if (balance < MIN_CLIENT_AGPU) {
      await (await treasury.agpu.transfer(wallet.address, MIN_CLIENT_AGPU - balance)).wait();
      balance = MIN_CLIENT_AGPU;
    }
    if (index === CLI_ACCOUNT) {
      lines.push(
        `your CLI wallet ${wallet.address.toLowerCase()} holds ${formatUnits(balance, 18)} AGPU`,
      );
      continue;
    }
    const me = connectContracts(d, wallet);
    if (!(await me.providerRegistry.isClient(wallet.address)))
      await (await me.providerRegistry.registerClient()).wait();
    lines.push(
      `client ${wallet.address.toLowerCase()} registered on chain, holds ${formatUnits(balance, 18)} AGPU`,
    );
  }
  return lines;
}

/** The CLI user's wallet key (a public dev key of the local chain), for the closing hint. */
export const cliWalletKey = (): string => devWallet(CLI_ACCOUNT).privateKey;

/** One SDK client per wallet: signed in with SIWE, then switched to a fresh API key. */
export async function connectClients(
  gatewayUrl: string,
  deploymentsFile: string,
  chain: JsonRpcProvider,
): Promise<DemoClient[]> {
  return Promise.all(
    CLIENT_ACCOUNTS.map(async (index, i) => {
      const signer = new NonceManager(new Wallet(devWallet(index).privateKey, chain));
      const client = new StarMinerClient({ gatewayUrl, signer, deployments: deploymentsFile });
      await client.signIn();
      await client.createApiKey(`demo-client-${i + 1}`, undefined, true);
      return {
        name: `client-${i + 1}`,
        address: (await signer.getAddress()).toLowerCase(),
        client,
      };
    }),
  );
}
