import {
  JsonRpcSigner,
  type TransactionRequest,
  parseUnits,
  type TypedDataDomain,
  type Wallet,
  type HDNodeWallet,
} from 'ethers';
import {
  connectContracts,
  deployProtocol,
  devWallet,
  quoteDomain,
  randomQuoteNonce,
  signQuote,
  toBytes32,
  type Deployments,
  type ProtocolParameters,
  type Quote,
  type StarMinerContracts,
} from '@starminer/chain';
import { type TestChain } from './anvil';

/**
 * An unlocked dev account that sends with a quarter more gas than estimated. The estimate runs
 * against the pending block and the transaction is mined in a later one: when a second has
 * passed between them on a loaded machine, a write of `block.timestamp` over the same value
 * becomes a real storage write, and a transaction given exactly the estimate runs out of gas.
 */
class MarginSigner extends JsonRpcSigner {
  override async sendUncheckedTransaction(tx: TransactionRequest): Promise<string> {
    if (tx.gasLimit == null) {
      const estimate = await this.provider.estimateGas({ ...tx, from: this.address });
      tx = { ...tx, gasLimit: (estimate * 5n) / 4n };
    }
    return super.sendUncheckedTransaction(tx);
  }
}

/** Dev account indexes in tests: every role its own key; 10..19 are clients and providers. */
export const ACCOUNT = {
  deployer: 0,
  admin: 1,
  quoteSigner: 2,
  settler: 3,
  slasher: 4,
  treasury: 5,
  validator: 6,
  outsider: 9,
} as const;

export const AGPU = (n: number | string): bigint => parseUnits(String(n), 18);

/** Short delays so tests can move the clock past them cheaply. */
export const TEST_PARAMETERS: Partial<ProtocolParameters> = {
  feeBps: 500,
  settlementGraceSeconds: 1_000,
  minStake: AGPU(100),
  unbondingDelaySeconds: 1_000,
  claimWindowSeconds: 86_400,
  initialSupply: AGPU(100_000_000),
};

export const addressOf = (index: number): string => devWallet(index).address;

export interface Fixture {
  chain: TestChain;
  deployments: Deployments;
  /** contracts bound to dev account `index` (anvil signs for it) */
  as(index: number): Promise<StarMinerContracts>;
  signer(index: number): Promise<JsonRpcSigner>;
  /** contracts bound to the provider, for reads */
  read: StarMinerContracts;
  domain: TypedDataDomain;
}

export async function deployFixture(
  chain: TestChain,
  parameters: Partial<ProtocolParameters> = {},
): Promise<Fixture> {
  const signer = async (index: number): Promise<JsonRpcSigner> =>
    new MarginSigner(chain.provider, addressOf(index));
  const deployments = await deployProtocol({
    deployer: await signer(ACCOUNT.deployer),
    roles: {
      admin: addressOf(ACCOUNT.admin),
      quoteSigner: addressOf(ACCOUNT.quoteSigner),
      settler: addressOf(ACCOUNT.settler),
      validator: addressOf(ACCOUNT.validator),
      slasher: addressOf(ACCOUNT.slasher),
      treasury: addressOf(ACCOUNT.treasury),
    },
    parameters: { ...TEST_PARAMETERS, ...parameters },
    grants: Array.from({ length: 10 }, (_, i) => ({
      to: addressOf(10 + i),
      amount: AGPU(1_000_000),
    })),
  });
  return {
    chain,
    deployments,
    signer,
    as: async (index) => connectContracts(deployments, await signer(index)),
    read: connectContracts(deployments, chain.provider),
    domain: quoteDomain(deployments.chainId, deployments.contracts.jobEscrow),
  };
}

let jobCounter = 0;
/** A job id no other test in this process uses. */
export function freshJobId(): string {
  jobCounter += 1;
  return toBytes32(`job-${process.pid}-${jobCounter}`);
}

export interface QuoteOptions {
  signer?: Wallet | HDNodeWallet;
  domain?: TypedDataDomain;
}

/** A quote for `client`, valid for an hour of chain time, signed by the pricing key unless told otherwise. */
export async function signedQuote(
  fx: Fixture,
  fields: Partial<Quote> & { client: string },
  opts: QuoteOptions = {},
): Promise<{ quote: Quote; signature: string }> {
  const now = BigInt(await fx.chain.now());
  const quote: Quote = {
    jobId: freshJobId(),
    pricePerGpuSecond: AGPU('0.001'),
    maxGpuSeconds: 3_600n,
    tier: toBytes32('a100/eu-west/normal'),
    maxDuration: 600n,
    expiry: now + 3_600n,
    nonce: randomQuoteNonce(),
    ...fields,
  };
  const signature = await signQuote(
    opts.signer ?? devWallet(ACCOUNT.quoteSigner),
    opts.domain ?? fx.domain,
    quote,
  );
  return { quote, signature };
}

/** Registers `index` as a client, approves the escrow and funds a job with a fresh quote. */
export async function fundJob(
  fx: Fixture,
  clientIndex: number,
  fields: Partial<Quote> = {},
): Promise<{ quote: Quote; signature: string }> {
  const client = await fx.as(clientIndex);
  if (!(await fx.read.providerRegistry.isClient(addressOf(clientIndex)))) {
    await (await client.providerRegistry.registerClient()).wait();
  }
  const signed = await signedQuote(fx, { client: addressOf(clientIndex), ...fields });
  const amount = signed.quote.pricePerGpuSecond * signed.quote.maxGpuSeconds;
  await (await client.agpu.approve(fx.deployments.contracts.jobEscrow, amount)).wait();
  await (await client.jobEscrow.fund(signed.quote.jobId, signed.quote, signed.signature)).wait();
  return signed;
}

/** Registers `index` as a provider in eu-west and bonds `amount` (default: the minimum stake). */
export async function activeProvider(
  fx: Fixture,
  index: number,
  amount = AGPU(100),
): Promise<void> {
  const p = await fx.as(index);
  if (!(await fx.read.providerRegistry.isProvider(addressOf(index)))) {
    await (
      await p.providerRegistry.registerProvider('ipfs://provider', [toBytes32('eu-west')])
    ).wait();
  }
  await (await p.agpu.approve(fx.deployments.contracts.staking, amount)).wait();
  await (await p.staking.stake(amount)).wait();
}
