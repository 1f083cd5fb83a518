// Demo clients: dev wallets that hold AGPU after the deploy, each signed in to the gateway with
// Sign-In with Ethereum and using an API key it created, the way a client application would.
import { NonceManager, Wallet, formatUnits, type JsonRpcProvider } from 'ethers';
import { connectContracts, devWallet, type Deployments } from '@starminer/chain';
import { StarMinerClient } from '@starminer/sdk';

/** Dev accounts 11-16 are the demo's clients; account 10 (the providers' funder) tops them up. */
export const CLIENT_ACCOUNTS = [11, 12, 13, 14, 15, 16];
const TREASURY_ACCOUNT = 10;
const MIN_CLIENT_AGPU = 10_000n * 10n ** 18n;

export interface DemoClient {
  name: string;
  address: string;
  client: StarMinerClient;
}

/** Registers every client wallet as a client on chain and makes sure it holds enough AGPU. */
export async function fundClients(d: Deployments, chain: JsonRpcProvider): Promise<string[]> {
  const treasury = connectContracts(d, new NonceManager(devWallet(TREASURY_ACCOUNT, chain)));
  const lines: string[] = [];
  for (const index of CLIENT_ACCOUNTS) {
    const address = devWallet(index).address;
    let balance = await treasury.agpu.balanceOf(address);
    if (balance < MIN_CLIENT_AGPU) {
      await (await treasury.agpu.transfer(address, MIN_CLIENT_AGPU - balance)).wait();
      balance = MIN_CLIENT_AGPU;
    }
    // JobEscrow takes deposits from registered clients only (the SDK would register on first use).
    const me = connectContracts(d, new Wallet(devWallet(index).privateKey, chain));
    if (!(await me.providerRegistry.isClient(address)))
      await (await me.providerRegistry.registerClient()).wait();
    lines.push(
      `client ${address.toLowerCase()} registered on chain, holds ${formatUnits(balance, 18)} AGPU`,
    );
  }
  return lines;
}

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
