import { NonceManager, type ContractTransactionResponse, type Signer } from 'ethers';
import {
  AGPU__factory,
  JobEscrow__factory,
  ProviderRegistry__factory,
  RewardDistributor__factory,
  Staking__factory,
} from './gen';
import { buildInfo } from './gen/build-info';
import { DEPLOYMENTS_FORMAT, type Deployments, type RoleHolder } from './deployments';
import { Roles } from './roles';

export interface ProtocolParameters {
  /** protocol fee on used GPU time, in basis points (max 2000) */
  feeBps: number;
  settlementGraceSeconds: number;
  /** token base units a provider must bond to be active */
  minStake: bigint;
  unbondingDelaySeconds: number;
  claimWindowSeconds: number;
  /** minted to the deployer, which hands out `grants` and sends the rest to the treasury */
  initialSupply: bigint;
  /** where slashed stake goes */
  slashRecipient: 'treasury' | 'rewards';
}

export const DEFAULT_PARAMETERS: ProtocolParameters = {
  feeBps: 500,
  settlementGraceSeconds: 86_400,
  minStake: 1_000n * 10n ** 18n,
  unbondingDelaySeconds: 7 * 86_400,
  claimWindowSeconds: 90 * 86_400,
  initialSupply: 1_000_000_000n * 10n ** 18n,
  slashRecipient: 'treasury',
};

export interface DeployProtocolOptions {
  deployer: Signer;
  /** addresses of the role holders besides the deployer; each should be a separate key */
  roles: Record<Exclude<RoleHolder, 'deployer'>, string>;
  parameters?: Partial<ProtocolParameters>;
  /** token grants from the initial supply (local chains: dev accounts for demos) */
  grants?: { to: string; amount: bigint }[];
  log?: (msg: string) => void;
}

async function mined(tx: Promise<ContractTransactionResponse>): Promise<number> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error('transaction dropped');
  return receipt.blockNumber;
}

/**
 * Deploys the whole protocol, wires the contracts together and hands every role to its holder.
 * The deployer holds admin rights only during the deployment and renounces them at the end, so
 * afterwards the admin key is the only one that can change parameters or roles.
 */
export async function deployProtocol(opts: DeployProtocolOptions): Promise<Deployments> {
  const p = { ...DEFAULT_PARAMETERS, ...opts.parameters };
  const log = opts.log ?? (() => undefined);
  const { roles } = opts;
  // Counts nonces locally: providers cache the pending nonce briefly, which breaks back-to-back sends.
  const deployer = new NonceManager(opts.deployer);
  const deployerAddress = await deployer.getAddress();
  const provider = deployer.provider;
  if (!provider) throw new Error('deployProtocol: the deployer signer needs a provider');
  const chainId = Number((await provider.getNetwork()).chainId);

  // One transaction at a time: nonces stay right on any RPC, not only on an automining dev chain.
  const agpu = await new AGPU__factory(deployer).deploy(
    deployerAddress,
    deployerAddress,
    p.initialSupply,
  );
  const firstReceipt = await agpu.deploymentTransaction()?.wait();
  if (!firstReceipt) throw new Error('AGPU deployment dropped');
  const registry = await (
    await new ProviderRegistry__factory(deployer).deploy()
  ).waitForDeployment();
  const rewards = await (
    await new RewardDistributor__factory(deployer).deploy(
      agpu,
      deployerAddress,
      p.claimWindowSeconds,
    )
  ).waitForDeployment();
  const slashRecipient =
    p.slashRecipient === 'rewards' ? await rewards.getAddress() : roles.treasury;
  const staking = await (
    await new Staking__factory(deployer).deploy(
      agpu,
      registry,
      deployerAddress,
      slashRecipient,
      p.minStake,
      p.unbondingDelaySeconds,
    )
  ).waitForDeployment();
  const escrow = await (
    await new JobEscrow__factory(deployer).deploy(
      agpu,
      staking,
      rewards,
      deployerAddress,
      p.feeBps,
      p.settlementGraceSeconds,
    )
  ).waitForDeployment();
  log(`deployed at block ${firstReceipt.blockNumber} on chain ${chainId}`);

  await mined(staking.grantRole(Roles.SLASHER, roles.slasher));
  await mined(rewards.grantRole(Roles.VALIDATOR, roles.validator));
  await mined(escrow.grantRole(Roles.QUOTE_SIGNER, roles.quoteSigner));
  await mined(escrow.grantRole(Roles.SETTLER, roles.settler));
  await mined(agpu.grantRole(Roles.MINTER, roles.admin));
  for (const c of [agpu, staking, rewards, escrow]) {
    await mined(c.grantRole(Roles.DEFAULT_ADMIN, roles.admin));
  }

  let rest = p.initialSupply;
  for (const g of opts.grants ?? []) {
    await mined(agpu.transfer(g.to, g.amount));
    rest -= g.amount;
  }
  if (rest > 0n) await mined(agpu.transfer(roles.treasury, rest));

  // Last: the deployer gives up every right it held.
  await mined(agpu.renounceRole(Roles.MINTER, deployerAddress));
  for (const c of [agpu, staking, rewards, escrow]) {
    await mined(c.renounceRole(Roles.DEFAULT_ADMIN, deployerAddress));
  }
  log('roles granted; deployer renounced admin');

  return {
    format: DEPLOYMENTS_FORMAT,
    chainId,
    deploymentBlock: firstReceipt.blockNumber,
    contracts: {
      agpu: await agpu.getAddress(),
      providerRegistry: await registry.getAddress(),
      staking: await staking.getAddress(),
      rewardDistributor: await rewards.getAddress(),
      jobEscrow: await escrow.getAddress(),
    },
    roles: { deployer: deployerAddress, ...roles },
    parameters: {
      feeBps: p.feeBps,
      settlementGraceSeconds: p.settlementGraceSeconds,
      minStake: p.minStake.toString(),
      unbondingDelaySeconds: p.unbondingDelaySeconds,
      claimWindowSeconds: p.claimWindowSeconds,
    },
    solcVersion: buildInfo.solcVersion,
  };
}
