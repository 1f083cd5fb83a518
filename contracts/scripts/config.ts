// The only place contracts/scripts read the environment: validated once into a typed object.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Wallet, getAddress, isAddress, parseUnits } from 'ethers';
import {
  DEFAULT_PARAMETERS,
  DEV_ACCOUNT_INDEX,
  devWallet,
  type DevRole,
  type ProtocolParameters,
} from '@starminer/chain';

export interface DeployConfig {
  rpcUrl: string;
  deployerKey: string;
  /** role holder addresses; undefined entries fall back to the dev accounts, on a dev chain only */
  roles: Record<Exclude<DevRole, 'deployer'>, string | undefined>;
  parameters: ProtocolParameters;
  outFile: string;
  /** dev chain only: AGPU handed to dev accounts 10..19 for demos */
  devGrantAgpu: bigint;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/** `${STARMINER_RUN:-$TMPDIR/starminer-run}`, where deploy/local keeps its state. */
export function runDir(env: Env = process.env): string {
  return env.STARMINER_RUN || path.join(env.TMPDIR || os.tmpdir(), 'starminer-run');
}

function stackRpcUrl(env: Env): string | undefined {
  const file = path.join(runDir(env), 'stack.env');
  if (!fs.existsSync(file)) return undefined;
  return /^CHAIN_RPC_URL=(.+)$/m.exec(fs.readFileSync(file, 'utf8'))?.[1]?.trim();
}

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  if (i >= 0) return argv[i + 1];
  return argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}

const ROLE_ENV: Record<Exclude<DevRole, 'deployer'>, string> = {
  admin: 'ADMIN',
  quoteSigner: 'QUOTE_SIGNER',
  settler: 'SETTLER',
  validator: 'VALIDATOR',
  slasher: 'SLASHER',
  treasury: 'TREASURY',
};

/**
 * Reads the deploy configuration. Every problem is collected and reported at once.
 *   CHAIN_RPC_URL            default: the local stack's, else http://127.0.0.1:18545
 *   DEPLOYER_PRIVATE_KEY     default: dev account 0 (dev chain only)
 *   <ROLE>_ADDRESS or <ROLE>_PRIVATE_KEY for ADMIN, QUOTE_SIGNER, SETTLER, VALIDATOR, SLASHER, TREASURY
 *   FEE_BPS, SETTLEMENT_GRACE_SECONDS, MIN_STAKE_AGPU, UNBONDING_DELAY_SECONDS, CLAIM_WINDOW_SECONDS,
 *   INITIAL_SUPPLY_AGPU, SLASH_RECIPIENT (treasury|rewards), DEV_GRANT_AGPU
 *   DEPLOYMENTS_FILE or --out FILE   default: $STARMINER_RUN/deployments.json
 */
export function loadDeployConfig(
  env: Env = process.env,
  argv: string[] = process.argv.slice(2),
): DeployConfig {
  const problems: string[] = [];

  const int = (name: string, fallback: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 0 || n > max) {
      problems.push(`${name}=${raw}: expected an integer between 0 and ${max}`);
      return fallback;
    }
    return n;
  };
  const agpu = (name: string, fallback: bigint): bigint => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    try {
      const v = parseUnits(raw, 18);
      if (v < 0n) throw new Error('negative');
      return v;
    } catch {
      problems.push(`${name}=${raw}: expected a non-negative AGPU amount such as 1000 or 0.5`);
      return fallback;
    }
  };
  const key = (name: string): string | undefined => {
    const raw = env[name];
    if (!raw) return undefined;
    try {
      return new Wallet(raw).privateKey;
    } catch {
      problems.push(`${name}: not a valid private key (32 bytes hex)`);
      return undefined;
    }
  };

  const roles = {} as DeployConfig['roles'];
  for (const [role, prefix] of Object.entries(ROLE_ENV) as [keyof typeof ROLE_ENV, string][]) {
    const address = env[`${prefix}_ADDRESS`];
    const pk = key(`${prefix}_PRIVATE_KEY`);
    if (address) {
      if (!isAddress(address)) problems.push(`${prefix}_ADDRESS=${address}: not an address`);
      else roles[role] = getAddress(address);
    } else {
      roles[role] = pk ? new Wallet(pk).address : undefined;
    }
  }

  const slashRecipient = env.SLASH_RECIPIENT || DEFAULT_PARAMETERS.slashRecipient;
  if (slashRecipient !== 'treasury' && slashRecipient !== 'rewards') {
    problems.push(`SLASH_RECIPIENT=${slashRecipient}: expected treasury or rewards`);
  }
  const d = DEFAULT_PARAMETERS;
  const parameters: ProtocolParameters = {
    feeBps: int('FEE_BPS', d.feeBps, 2_000),
    settlementGraceSeconds: int('SETTLEMENT_GRACE_SECONDS', d.settlementGraceSeconds, 30 * 86_400),
    minStake: agpu('MIN_STAKE_AGPU', d.minStake),
    unbondingDelaySeconds: int('UNBONDING_DELAY_SECONDS', d.unbondingDelaySeconds, 90 * 86_400),
    claimWindowSeconds: int('CLAIM_WINDOW_SECONDS', d.claimWindowSeconds, 2 ** 40),
    initialSupply: agpu('INITIAL_SUPPLY_AGPU', d.initialSupply),
    slashRecipient: slashRecipient === 'rewards' ? 'rewards' : 'treasury',
  };
  if (parameters.claimWindowSeconds < 86_400)
    problems.push('CLAIM_WINDOW_SECONDS: at least 86400 (one day)');

  const rpcUrl = env.CHAIN_RPC_URL || stackRpcUrl(env) || 'http://127.0.0.1:18545';
  if (!/^(https?|wss?):\/\//.test(rpcUrl))
    problems.push(`CHAIN_RPC_URL=${rpcUrl}: expected an http(s) or ws(s) URL`);

  const config: DeployConfig = {
    rpcUrl,
    deployerKey: key('DEPLOYER_PRIVATE_KEY') ?? devWallet(DEV_ACCOUNT_INDEX.deployer).privateKey,
    roles,
    parameters,
    outFile: path.resolve(
      flag(argv, '--out') || env.DEPLOYMENTS_FILE || path.join(runDir(env), 'deployments.json'),
    ),
    devGrantAgpu: agpu('DEV_GRANT_AGPU', 1_000_000n * 10n ** 18n),
  };
  if (problems.length > 0) {
    throw new ConfigError(`invalid deploy configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return config;
}

/**
 * Fills missing role holders. On a dev chain the well-known dev accounts stand in; on any other
 * chain every role must be configured and the deployer's key may not be the dev key.
 */
export function resolveRoles(
  config: DeployConfig,
  chainId: number,
  devChainId: number,
): Record<Exclude<DevRole, 'deployer'>, string> {
  const missing = Object.entries(config.roles)
    .filter(([, a]) => !a)
    .map(([r]) => ROLE_ENV[r as keyof typeof ROLE_ENV]);
  if (chainId !== devChainId) {
    const problems = missing.map(
      (p) => `${p}_ADDRESS (or ${p}_PRIVATE_KEY) is required on chain ${chainId}`,
    );
    if (config.deployerKey === devWallet(DEV_ACCOUNT_INDEX.deployer).privateKey) {
      problems.unshift(
        `DEPLOYER_PRIVATE_KEY is required on chain ${chainId} (the dev key is public)`,
      );
    }
    if (problems.length > 0)
      throw new ConfigError(`invalid deploy configuration:\n  - ${problems.join('\n  - ')}`);
  }
  const out = {} as Record<Exclude<DevRole, 'deployer'>, string>;
  for (const role of Object.keys(ROLE_ENV) as (keyof typeof ROLE_ENV)[]) {
    out[role] = config.roles[role] ?? devWallet(DEV_ACCOUNT_INDEX[role]).address;
  }
  return out;
}
