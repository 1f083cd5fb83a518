import fs from 'node:fs';
import { getAddress, isAddress, type ContractRunner } from 'ethers';
import {
  AGPU__factory,
  JobEscrow__factory,
  ProviderRegistry__factory,
  RewardDistributor__factory,
  Staking__factory,
  type AGPU,
  type JobEscrow,
  type ProviderRegistry,
  type RewardDistributor,
  type Staking,
} from './gen';

export const DEPLOYMENTS_FORMAT = 'starminer-deployments/v1';

export const CONTRACT_NAMES = [
  'agpu',
  'providerRegistry',
  'staking',
  'rewardDistributor',
  'jobEscrow',
] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

export const ROLE_HOLDERS = [
  'deployer',
  'admin',
  'quoteSigner',
  'settler',
  'validator',
  'slasher',
  'treasury',
] as const;
export type RoleHolder = (typeof ROLE_HOLDERS)[number];

/** What the deploy command writes and the services read: where the contracts are and who holds which key. */
export interface Deployments {
  format: typeof DEPLOYMENTS_FORMAT;
  chainId: number;
  /** Block of the first deployment transaction: the chain-indexer starts following logs there. */
  deploymentBlock: number;
  contracts: Record<ContractName, string>;
  roles: Record<RoleHolder, string>;
  parameters: {
    feeBps: number;
    settlementGraceSeconds: number;
    minStake: string;
    unbondingDelaySeconds: number;
    claimWindowSeconds: number;
  };
  solcVersion: string;
}

export class DeploymentsError extends Error {
  override readonly name = 'DeploymentsError';
}

function field(obj: Record<string, unknown>, key: string, where: string): unknown {
  if (!(key in obj)) throw new DeploymentsError(`${where}: missing "${key}"`);
  return obj[key];
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DeploymentsError(`${where}: expected an object`);
  }
  return value as Record<string, unknown>;
}

function addresses<K extends string>(
  value: unknown,
  keys: readonly K[],
  where: string,
): Record<K, string> {
  const obj = record(value, where);
  const out = {} as Record<K, string>;
  for (const key of keys) {
    const v = field(obj, key, where);
    if (typeof v !== 'string' || !isAddress(v))
      throw new DeploymentsError(`${where}.${key}: not an address: ${String(v)}`);
    out[key] = getAddress(v);
  }
  return out;
}

function nonNegativeInt(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new DeploymentsError(`${where}: expected a non-negative integer, got ${String(value)}`);
  }
  return value;
}

/** Validates parsed JSON as a deployments file; addresses come back checksummed. */
export function parseDeployments(json: unknown, source = 'deployments'): Deployments {
  const obj = record(json, source);
  if (obj.format !== DEPLOYMENTS_FORMAT) {
    throw new DeploymentsError(
      `${source}: format is ${String(obj.format)}, expected ${DEPLOYMENTS_FORMAT}`,
    );
  }
  const params = record(field(obj, 'parameters', source), `${source}.parameters`);
  const minStake = field(params, 'minStake', `${source}.parameters`);
  if (typeof minStake !== 'string' || !/^\d+$/.test(minStake)) {
    throw new DeploymentsError(`${source}.parameters.minStake: expected a decimal string`);
  }
  const solcVersion = field(obj, 'solcVersion', source);
  return {
    format: DEPLOYMENTS_FORMAT,
    chainId: nonNegativeInt(field(obj, 'chainId', source), `${source}.chainId`),
    deploymentBlock: nonNegativeInt(
      field(obj, 'deploymentBlock', source),
      `${source}.deploymentBlock`,
    ),
    contracts: addresses(field(obj, 'contracts', source), CONTRACT_NAMES, `${source}.contracts`),
    roles: addresses(field(obj, 'roles', source), ROLE_HOLDERS, `${source}.roles`),
    parameters: {
      feeBps: nonNegativeInt(params.feeBps, `${source}.parameters.feeBps`),
      settlementGraceSeconds: nonNegativeInt(
        params.settlementGraceSeconds,
        `${source}.parameters.settlementGraceSeconds`,
      ),
      minStake,
      unbondingDelaySeconds: nonNegativeInt(
        params.unbondingDelaySeconds,
        `${source}.parameters.unbondingDelaySeconds`,
      ),
      claimWindowSeconds: nonNegativeInt(
        params.claimWindowSeconds,
        `${source}.parameters.claimWindowSeconds`,
      ),
    },
    solcVersion: String(solcVersion),
  };
}

export function readDeployments(file: string): Deployments {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new DeploymentsError(
      `cannot read deployments file ${file}: ${(err as Error).message}; run 'npm run deploy -w @starminer/contracts'`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DeploymentsError(`${file}: not JSON: ${(err as Error).message}`);
  }
  return parseDeployments(json, file);
}

export function writeDeployments(file: string, deployments: Deployments): void {
  fs.writeFileSync(file, `${JSON.stringify(deployments, null, 2)}\n`);
}

export interface StarMinerContracts {
  agpu: AGPU;
  providerRegistry: ProviderRegistry;
  staking: Staking;
  rewardDistributor: RewardDistributor;
  jobEscrow: JobEscrow;
}

/** Typed contract handles for a deployment, bound to a provider (reads) or a signer (writes). */
export function connectContracts(
  deployments: Pick<Deployments, 'contracts'>,
  runner: ContractRunner,
): StarMinerContracts {
  const c = deployments.contracts;
  return {
    agpu: AGPU__factory.connect(c.agpu, runner),
    providerRegistry: ProviderRegistry__factory.connect(c.providerRegistry, runner),
    staking: Staking__factory.connect(c.staking, runner),
    rewardDistributor: RewardDistributor__factory.connect(c.rewardDistributor, runner),
    jobEscrow: JobEscrow__factory.connect(c.jobEscrow, runner),
  };
}
