import { Command } from 'commander';
import { API_KEY_SCOPES, type ApiKeyScope } from '@starminer/sdk';
import { clientFor, type GatewayOptions, withGatewayOptions } from '../context';
import { CliError, ExitCode } from '../errors';
import { agpu } from '../format';
import { type Io } from '../io';

/** login, balance, withdraw: a wallet's credentials and money. */
export function accountCommands(io: Io): Command[] {
  const login = withGatewayOptions(
    new Command('login')
      .description('sign in with your wallet (SIWE) and create an API key for later commands')
      .option('--name <name>', 'name of the key', 'starminer-cli')
      .option(
        '--scopes <scopes>',
        `comma-separated (${API_KEY_SCOPES.join(', ')})`,
        API_KEY_SCOPES.join(','),
      ),
  ).action(async (o: GatewayOptions & { name: string; scopes: string }) => {
    const scopes = o.scopes.split(',').map((s) => s.trim());
    const bad = scopes.filter((s) => !API_KEY_SCOPES.includes(s as ApiKeyScope));
    if (bad.length)
      throw new CliError(`--scopes: unknown ${bad.join(', ')}`, ExitCode.usage, [
        `accepted: ${API_KEY_SCOPES.join(', ')}`,
      ]);
    const { client, wallet, close } = await clientFor(
      { ...o, apiKey: undefined },
      { wallet: true },
    );
    try {
      const key = await client.createApiKey(o.name, scopes as ApiKeyScope[]);
      io.result(o.json, { address: await wallet!.getAddress(), ...key }, [
        `signed in as ${await wallet!.getAddress()}; API key ${key.keyId} created (shown once):`,
        '',
        `export STARMINER_API_KEY=${key.key}`,
      ]);
    } finally {
      close();
    }
  });

  const balance = withGatewayOptions(
    new Command('balance').description(
      'your AGPU, escrowed deposits, refunds and withdrawable credit',
    ),
  ).action(async (o: GatewayOptions) => {
    const { client, close } = await clientFor(o);
    try {
      const b = await client.balances();
      io.result(o.json, { ...b }, [
        `address       ${b.address}`,
        `wallet        ${agpu(b.agpuBalance)}`,
        `escrowed      ${agpu(b.escrowed)} in ${b.fundedJobs} job(s)`,
        `refunded      ${agpu(b.refunded)} (all time)`,
        `withdrawable  ${agpu(b.withdrawable)}${b.withdrawable !== '0' ? '   (starminer withdraw)' : ''}`,
        b.asOfBlock === 'chain'
          ? 'as of         the chain head (wallet and credit read directly)'
          : `as of block   ${b.asOfBlock}`,
      ]);
    } finally {
      close();
    }
  });

  const withdraw = withGatewayOptions(
    new Command('withdraw')
      .description('pull your JobEscrow credit (provider payouts, client refunds) to your wallet')
      .option('--to <address>', 'send it to another address instead'),
  ).action(async (o: GatewayOptions & { to?: string }) => {
    if (o.to && !/^0x[0-9a-fA-F]{40}$/.test(o.to))
      throw new CliError(`--to ${o.to} is not an address`, ExitCode.usage, [
        'accepted: 0x + 40 hex digits',
      ]);
    const { client, wallet, close } = await clientFor(o, { wallet: true, auth: false });
    try {
      const r = await client.withdraw(o.to);
      io.result(o.json, { address: await wallet!.getAddress(), ...r }, [
        r.txHash
          ? `withdrew ${agpu(r.amount)} to ${o.to ?? (await wallet!.getAddress())} in ${r.txHash}`
          : 'nothing to withdraw',
      ]);
    } finally {
      close();
    }
  });

  return [login, balance, withdraw];
}
