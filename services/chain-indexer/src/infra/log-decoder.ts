import { Interface, keccak256 } from 'ethers';
import {
  AGPU__factory,
  JobEscrow__factory,
  ProviderRegistry__factory,
  RewardDistributor__factory,
  Staking__factory,
  type Deployments,
} from '@starminer/chain';
import {
  PARTICIPANT_KINDS,
  type ChainEventData,
  type ContractName,
  type DecodedLog,
} from '../domain/chain-events';
import { encodeCheckpoint } from '../domain/checkpoint';
import { type BlockHeader, type RawLog } from './json-rpc';

const abis: Record<ContractName, Interface> = {
  agpu: new Interface(AGPU__factory.abi),
  providerRegistry: new Interface(ProviderRegistry__factory.abi),
  staking: new Interface(Staking__factory.abi),
  rewardDistributor: new Interface(RewardDistributor__factory.abi),
  jobEscrow: new Interface(JobEscrow__factory.abi),
};

const lower = (a: unknown) => String(a).toLowerCase();
const big = (v: unknown) => BigInt(v as bigint);

/** bytes32 region or name: its text when it is text (as toBytes32 writes it), else the hex. */
function bytes32Text(v: string): string {
  const bytes = Buffer.from(v.slice(2), 'hex');
  const end = bytes.indexOf(0);
  const text = bytes.subarray(0, end === -1 ? bytes.length : end);
  const rest = end === -1 ? Buffer.alloc(0) : bytes.subarray(end);
  if (
    text.length > 0 &&
    rest.every((b) => b === 0) &&
    /^[\x20-\x7e]+$/.test(text.toString('latin1'))
  ) {
    return text.toString('latin1');
  }
  return v.toLowerCase();
}

/**
 * Turns raw logs of the StarMiner contracts into domain events. Logs of other events the contracts
 * emit (parameter changes, nonce revocations) decode to undefined and are not mirrored.
 */
export class LogDecoder {
  private readonly byAddress = new Map<string, ContractName>();

  constructor(
    private readonly chainId: number,
    contracts: Deployments['contracts'],
  ) {
    for (const [name, address] of Object.entries(contracts)) {
      this.byAddress.set(address.toLowerCase(), name as ContractName);
    }
  }

  addresses(): string[] {
    return [...this.byAddress.keys()];
  }

  decode(raw: RawLog, block: BlockHeader): DecodedLog | undefined {
    const address = raw.address.toLowerCase();
    const contract = this.byAddress.get(address);
    if (!contract) return undefined;
    const parsed = abis[contract].parseLog({ topics: raw.topics, data: raw.data });
    if (!parsed) return undefined;
    const event = toEvent(contract, parsed.name, parsed.args);
    if (!event) return undefined;
    const blockNumber = Number(BigInt(raw.blockNumber));
    const transactionIndex = Number(BigInt(raw.transactionIndex));
    const logIndex = Number(BigInt(raw.logIndex));
    return {
      meta: {
        checkpoint: encodeCheckpoint({
          chainId: this.chainId,
          blockNumber,
          transactionIndex,
          logIndex,
        }),
        chainId: this.chainId,
        blockNumber,
        blockHash: raw.blockHash.toLowerCase(),
        blockTimestamp: block.timestamp,
        transactionHash: raw.transactionHash.toLowerCase(),
        transactionIndex,
        logIndex,
        address,
      },
      event,
    };
  }

  /**
   * Whether a block's logs bloom admits a log from one of our contracts. A block whose bloom says
   * yes but for which a range query returned nothing is re-read by hash: a node that is behind
   * answers range queries short, silently.
   */
  bloomMayContain(logsBloom: string): boolean {
    const bloom = Buffer.from(logsBloom.slice(2), 'hex');
    if (bloom.length !== 256) return true;
    for (const address of this.byAddress.keys()) {
      const h = Buffer.from(keccak256(address).slice(2), 'hex');
      let all = true;
      for (let i = 0; i < 6 && all; i += 2) {
        const bit = ((h[i]! << 8) | h[i + 1]!) & 2047;
        const byte = bloom[256 - 1 - (bit >> 3)]!;
        if ((byte & (1 << (bit & 7))) === 0) all = false;
      }
      if (all) return true;
    }
    return false;
  }
}

type Args = { [k: string]: unknown } & { getValue?: unknown };

function toEvent(contract: ContractName, name: string, a: Args): ChainEventData | undefined {
  switch (`${contract}.${name}`) {
    case 'jobEscrow.JobFunded':
      return {
        name: 'JobFunded',
        jobId: lower(a.jobId),
        client: lower(a.client),
        tier: lower(a.tier),
        amount: big(a.amount),
        pricePerGpuSecond: big(a.pricePerGpuSecond),
        maxGpuSeconds: big(a.maxGpuSeconds),
        deadline: big(a.deadline),
        nonce: big(a.nonce),
      };
    case 'jobEscrow.JobSettled':
      return {
        name: 'JobSettled',
        jobId: lower(a.jobId),
        provider: lower(a.provider),
        client: lower(a.client),
        gpuSeconds: big(a.gpuSeconds),
        providerAmount: big(a.providerAmount),
        fee: big(a.fee),
        clientRefund: big(a.clientRefund),
      };
    case 'jobEscrow.JobRefunded':
    case 'jobEscrow.JobReclaimed':
      return {
        name: name as 'JobRefunded' | 'JobReclaimed',
        jobId: lower(a.jobId),
        client: lower(a.client),
        amount: big(a.amount),
      };
    case 'jobEscrow.Withdrawn':
      return {
        name: 'CreditWithdrawn',
        account: lower(a.account),
        to: lower(a.to),
        amount: big(a.amount),
      };
    case 'jobEscrow.FeesSwept':
      return { name: 'FeesSwept', rewards: lower(a.rewards), amount: big(a.amount) };
    case 'staking.Staked':
      return {
        name: 'Staked',
        provider: lower(a.provider),
        amount: big(a.amount),
        bonded: big(a.bonded),
      };
    case 'staking.UnbondStarted':
      return {
        name: 'UnbondStarted',
        provider: lower(a.provider),
        amount: big(a.amount),
        unbonding: big(a.unbonding),
        readyAt: big(a.readyAt),
      };
    case 'staking.Withdrawn':
      return { name: 'StakeWithdrawn', provider: lower(a.provider), amount: big(a.amount) };
    case 'staking.Slashed':
      return {
        name: 'Slashed',
        provider: lower(a.provider),
        evidenceHash: lower(a.evidenceHash),
        amount: big(a.amount),
        fromBonded: big(a.fromBonded),
        fromUnbonding: big(a.fromUnbonding),
        recipient: lower(a.recipient),
      };
    case 'providerRegistry.Registered':
      return {
        name: 'Registered',
        account: lower(a.account),
        kind: PARTICIPANT_KINDS[Number(a.kind)] ?? 'client',
        metadataUri: String(a.metadataURI),
        regions: (a.regions as string[]).map(bytes32Text),
      };
    case 'providerRegistry.Updated':
      return {
        name: 'Updated',
        account: lower(a.account),
        metadataUri: String(a.metadataURI),
        regions: (a.regions as string[]).map(bytes32Text),
      };
    case 'providerRegistry.Deregistered':
      return {
        name: 'Deregistered',
        account: lower(a.account),
        kind: PARTICIPANT_KINDS[Number(a.kind)] ?? 'client',
      };
    case 'rewardDistributor.RewardsDeposited':
      return { name: 'RewardsDeposited', from: lower(a.from), amount: big(a.amount) };
    case 'rewardDistributor.EpochPosted':
      return {
        name: 'EpochPosted',
        epoch: big(a.epoch),
        root: lower(a.root),
        total: big(a.total),
        validator: lower(a.validator),
      };
    case 'rewardDistributor.Claimed':
      return {
        name: 'Claimed',
        epoch: big(a.epoch),
        account: lower(a.account),
        amount: big(a.amount),
      };
    case 'rewardDistributor.EpochExpired':
      return { name: 'EpochExpired', epoch: big(a.epoch), unclaimed: big(a.unclaimed) };
    case 'agpu.Transfer':
      return { name: 'Transfer', from: lower(a.from), to: lower(a.to), value: big(a.value) };
    default:
      return undefined;
  }
}
