import { Signature, type Provider, type Signer } from 'ethers';
import {
  AGPU__factory,
  connectContracts,
  JobEscrow__factory,
  jobIdFromUuid,
  ProviderRegistry__factory,
  type Deployments,
} from '@starminer/chain';
import { SdkError } from './errors';
import { escrowQuoteOf } from './escrow-quote';
import { type Job } from './types';

export interface FundResult {
  jobId: string;
  txHash: string;
  /** Deposit, AGPU base units. */
  amount: string;
  blockNumber: number;
}

export interface Settlement {
  kind: 'settled' | 'refunded' | 'reclaimed';
  txHash: string;
  blockNumber: number;
  provider: string;
  gpuSeconds: number;
  providerAmount: string;
  fee: string;
  clientRefund: string;
}

const CONTRACT_ERRORS = [
  JobEscrow__factory.createInterface(),
  AGPU__factory.createInterface(),
  ProviderRegistry__factory.createInterface(),
];

/** A failed call, with the contract's custom error decoded (e.g. QuoteExpired(...)) when it has one. */
const chainError = (what: string, err: unknown): SdkError => {
  const e = err as { shortMessage?: string; reason?: string; message?: string; data?: string };
  let why = e.reason ?? e.shortMessage ?? e.message ?? String(err);
  for (const iface of e.data ? CONTRACT_ERRORS : []) {
    try {
      const parsed = iface.parseError(e.data!);
      if (parsed) {
        why = `${parsed.name}(${parsed.args.map(String).join(', ')})`;
        break;
      }
    } catch {
      // Not this contract's error.
    }
  }
  return new SdkError('CHAIN', `${what}: ${why}`);
};

/**
 * Sends a transaction, again if the node said its nonce was already used: a wallet's pending
 * nonce can be read stale right after its previous transaction was mined, and a refused nonce
 * means nothing was sent, so the retry cannot double anything.
 */
async function sent<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if ((err as { code?: string }).code !== 'NONCE_EXPIRED' || attempt >= 4) throw err;
      await new Promise((r) => setTimeout(r, 250 * attempt));
    }
  }
}

/**
 * Funds a job's escrow with its signed quote, from `signer` (the job's client wallet), first
 * registering the wallet as a client in the ProviderRegistry if it is not yet one. With
 * `approval: 'permit'` (default) one transaction carries an EIP-2612 permit for the deposit;
 * with 'approve' an approve transaction goes first when the allowance is short.
 */
export async function fundJob(
  signer: Signer,
  d: Deployments,
  job: Job,
  approval: 'permit' | 'approve' = 'permit',
): Promise<FundResult> {
  const { quote, signature, amount } = escrowQuoteOf(job, {
    chainId: d.chainId,
    escrow: d.contracts.jobEscrow,
  });
  const owner = await signer.getAddress();
  if (owner.toLowerCase() !== job.client.toLowerCase())
    throw new SdkError(
      'PERMISSION_DENIED',
      `job ${job.jobId} is quoted for ${job.client}, not for the funding wallet ${owner}`,
    );
  const c = connectContracts(d, signer);
  try {
    // JobEscrow takes deposits from registered clients only; registering is one transaction, once.
    if (!(await c.providerRegistry.isClient(owner)))
      await (await sent(() => c.providerRegistry.registerClient())).wait();
    let tx;
    if (approval === 'approve') {
      if ((await c.agpu.allowance(owner, d.contracts.jobEscrow)) < amount)
        await (await sent(() => c.agpu.approve(d.contracts.jobEscrow, amount))).wait();
      tx = await sent(() => c.jobEscrow.fund(quote.jobId, quote, signature));
    } else {
      const domain = await c.agpu.eip712Domain();
      const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
      const permit = Signature.from(
        await signer.signTypedData(
          {
            name: domain.name,
            version: domain.version,
            chainId: domain.chainId,
            verifyingContract: domain.verifyingContract,
          },
          {
            Permit: [
              { name: 'owner', type: 'address' },
              { name: 'spender', type: 'address' },
              { name: 'value', type: 'uint256' },
              { name: 'nonce', type: 'uint256' },
              { name: 'deadline', type: 'uint256' },
            ],
          },
          {
            owner,
            spender: d.contracts.jobEscrow,
            value: amount,
            nonce: await c.agpu.nonces(owner),
            deadline,
          },
        ),
      );
      tx = await sent(() =>
        c.jobEscrow.fundWithPermit(
          quote.jobId,
          quote,
          signature,
          deadline,
          permit.v,
          permit.r,
          permit.s,
        ),
      );
    }
    const receipt = await tx.wait();
    return {
      jobId: job.jobId,
      txHash: tx.hash,
      amount: amount.toString(),
      blockNumber: receipt?.blockNumber ?? 0,
    };
  } catch (err) {
    throw chainError(`funding job ${job.jobId}`, err);
  }
}

/** Pulls the wallet's credit (provider payouts, client refunds) out of JobEscrow. */
export async function withdrawCredits(
  signer: Signer,
  d: Deployments,
  to?: string,
): Promise<{ txHash: string; amount: string } | { txHash: ''; amount: '0' }> {
  const c = connectContracts(d, signer);
  const owner = await signer.getAddress();
  const credit = await c.jobEscrow.credits(owner);
  if (credit === 0n) return { txHash: '', amount: '0' };
  try {
    const tx = await sent(() => (to ? c.jobEscrow.withdrawTo(to) : c.jobEscrow.withdraw()));
    await tx.wait();
    return { txHash: tx.hash, amount: credit.toString() };
  } catch (err) {
    throw chainError('withdrawing credits', err);
  }
}

/** The wallet's AGPU balance and its JobEscrow credit. */
export async function chainBalances(
  runner: Provider | Signer,
  d: Deployments,
  address: string,
): Promise<{ wallet: string; withdrawable: string }> {
  const c = connectContracts(d, runner);
  const [wallet, credit] = await Promise.all([
    c.agpu.balanceOf(address),
    c.jobEscrow.credits(address),
  ]);
  return { wallet: wallet.toString(), withdrawable: credit.toString() };
}

/** How the escrow of a job was closed, read from JobEscrow's logs; undefined while open. */
export async function settlementOf(
  runner: Provider | Signer,
  d: Deployments,
  jobId: string,
): Promise<Settlement | undefined> {
  const escrow = connectContracts(d, runner).jobEscrow;
  const id = jobIdFromUuid(jobId);
  const from = d.deploymentBlock;
  const [settled] = await escrow.queryFilter(escrow.filters.JobSettled(id), from);
  if (settled)
    return {
      kind: 'settled',
      txHash: settled.transactionHash,
      blockNumber: settled.blockNumber,
      provider: settled.args.provider,
      gpuSeconds: Number(settled.args.gpuSeconds),
      providerAmount: settled.args.providerAmount.toString(),
      fee: settled.args.fee.toString(),
      clientRefund: settled.args.clientRefund.toString(),
    };
  for (const kind of ['refunded', 'reclaimed'] as const) {
    const filter =
      kind === 'refunded' ? escrow.filters.JobRefunded(id) : escrow.filters.JobReclaimed(id);
    const [log] = await escrow.queryFilter(filter, from);
    if (log)
      return {
        kind,
        txHash: log.transactionHash,
        blockNumber: log.blockNumber,
        provider: '',
        gpuSeconds: 0,
        providerAmount: '0',
        fee: '0',
        clientRefund: log.args.amount.toString(),
      };
  }
  return undefined;
}
