import { type Command, Option } from 'commander';
import { JsonRpcProvider, Wallet } from 'ethers';
import { StarMinerClient } from '@starminer/sdk';
import { CliError, ExitCode } from './errors';

/** Options every gateway command takes; each also reads its environment variable. */
export interface GatewayOptions {
  gateway: string;
  grpc?: string;
  apiKey?: string;
  privateKey?: string;
  rpc: string;
  deployments: string;
  json?: boolean;
}

/** Adds the gateway options to a command (flags win over the environment). */
export function withGatewayOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--gateway <url>', 'gateway REST URL')
        .env('STARMINER_GATEWAY_URL')
        .default('http://127.0.0.1:8080'),
    )
    .addOption(
      new Option('--grpc <host:port>', "use the gateway's gRPC API at this address").env(
        'STARMINER_GRPC_ADDRESS',
      ),
    )
    .addOption(new Option('--api-key <key>', 'API key (smk_...)').env('STARMINER_API_KEY'))
    .addOption(
      new Option(
        '--private-key <hex>',
        'wallet key: signs in (SIWE) when no API key is given, funds escrows, withdraws',
      ).env('STARMINER_PRIVATE_KEY'),
    )
    .addOption(
      new Option('--rpc <url>', 'chain JSON-RPC URL')
        .env('CHAIN_RPC_URL')
        .default('http://127.0.0.1:18545'),
    )
    .addOption(
      new Option('--deployments <file>', 'contract deployments file')
        .env('DEPLOYMENTS_FILE')
        .default('/tmp/starminer-run/deployments.json'),
    )
    .option('--json', 'print JSON for scripts instead of tables');
}

export function walletOf(key: string | undefined, rpc: string): Wallet | undefined {
  if (!key) return undefined;
  const hex = key.startsWith('0x') ? key : `0x${key}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex))
    throw new CliError(
      '--private-key (STARMINER_PRIVATE_KEY) must be a 32-byte hex key (64 hex digits, 0x optional)',
      ExitCode.usage,
    );
  return new Wallet(
    hex,
    new JsonRpcProvider(rpc, undefined, { staticNetwork: true, cacheTimeout: -1 }),
  );
}

/**
 * A client for one command. Without an API key but with a private key, it signs in with
 * Sign-In with Ethereum first, so a wallet key alone is enough to use every command.
 */
export async function clientFor(
  o: GatewayOptions,
  needs: { wallet?: boolean; auth?: boolean } = {},
): Promise<{ client: StarMinerClient; wallet: Wallet | undefined; close(): void }> {
  const wallet = walletOf(o.privateKey, o.rpc);
  if (needs.wallet && !wallet)
    throw new CliError(
      'this command needs the wallet: set --private-key or STARMINER_PRIVATE_KEY',
      ExitCode.usage,
    );
  const client = new StarMinerClient({
    gatewayUrl: o.gateway,
    ...(o.grpc ? { transport: 'grpc' as const, grpcAddress: o.grpc } : {}),
    ...(o.apiKey ? { apiKey: o.apiKey } : {}),
    ...(wallet ? { signer: wallet } : {}),
    deployments: o.deployments,
  });
  if (needs.auth !== false && !o.apiKey) {
    if (!wallet)
      throw new CliError(
        'credentials required: set STARMINER_API_KEY (see `starminer login`) or STARMINER_PRIVATE_KEY',
        ExitCode.auth,
      );
    await client.signIn();
  }
  return {
    client,
    wallet,
    close: () => {
      client.close();
      wallet?.provider?.destroy();
    },
  };
}
