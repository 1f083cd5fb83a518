// A private anvil per test file with a fresh contract set (the contracts' own test support), and
// fast generators of escrow activity: anvil's unlocked dev accounts send through batched
// eth_sendTransaction with automine off, then blocks are mined explicitly.
import { keccak256, toUtf8Bytes } from 'ethers';
import {
  JobEscrow__factory,
  quoteDigest,
  devWallet,
  toBytes32,
  type Quote,
} from '@starminer/chain';
import { startAnvil, type TestChain } from '../../../../contracts/test/support/anvil';
import {
  ACCOUNT,
  AGPU,
  activeProvider,
  addressOf,
  deployFixture,
  type Fixture,
} from '../../../../contracts/test/support/fixture';

export { startAnvil, deployFixture, ACCOUNT, AGPU, addressOf, type TestChain, type Fixture };

const escrowIface = JobEscrow__factory.createInterface();
export const PROVIDER_INDEX = 19;
export const CLIENT_INDEXES = [10, 11, 12, 13, 14, 15, 16, 17, 18];

/** Starts anvil with a big block gas limit (many escrow txs per block) and deploys the protocol. */
export async function privateChain(extraArgs: string[] = []): Promise<Fixture> {
  const chain = await startAnvil(['--gas-limit', '1000000000', ...extraArgs]);
  const fx = await deployFixture(chain);
  await activeProvider(fx, PROVIDER_INDEX);
  for (const c of CLIENT_INDEXES) {
    const client = await fx.as(c);
    await (await client.providerRegistry.registerClient()).wait();
    await (await client.agpu.approve(fx.deployments.contracts.jobEscrow, AGPU(1_000_000))).wait();
  }
  return fx;
}

export function jobIdOf(tag: string, i: number): string {
  return keccak256(toUtf8Bytes(`${tag}-${i}`));
}

/** Sends transactions from unlocked accounts in JSON-RPC batches (automine must be off). */
async function sendAll(
  chain: TestChain,
  txs: { from: string; to: string; data: string }[],
): Promise<void> {
  // Explicit nonces: anvil handles a batch's requests concurrently and would hand out one twice.
  const senders = [...new Set(txs.map((t) => t.from))];
  const counts = await chain.batch<string>(
    senders.map((a) => ({ method: 'eth_getTransactionCount', params: [a, 'pending'] })),
  );
  const next = new Map(senders.map((a, i) => [a, BigInt(counts[i]!)]));
  const withNonce = txs.map((t) => {
    const nonce = next.get(t.from)!;
    next.set(t.from, nonce + 1n);
    return { ...t, gas: '0x7a120', nonce: `0x${nonce.toString(16)}` };
  });
  for (let i = 0; i < withNonce.length; i += 500) {
    await chain.batch(
      withNonce.slice(i, i + 500).map((t) => ({ method: 'eth_sendTransaction', params: [t] })),
    );
  }
}

/** Mines until the pool is empty; returns the blocks mined. */
export async function mineAll(chain: TestChain): Promise<number> {
  let blocks = 0;
  for (;;) {
    const status = await chain.rpc<{ pending: string }>('txpool_status');
    if (BigInt(status.pending) === 0n) return blocks;
    await chain.rpc('evm_mine');
    blocks++;
  }
}

/** fund() calls of `n` fresh jobs by the dev clients, with quotes signed by the pricing key. */
export async function fundCalls(
  fx: Fixture,
  tag: string,
  n: number,
  /** On-chain job ids to use (e.g. from service UUIDs); derived from the tag otherwise. */
  jobIds?: string[],
): Promise<{ from: string; to: string; data: string; jobId: string }[]> {
  const now = BigInt(await fx.chain.now());
  const quoteKey = devWallet(ACCOUNT.quoteSigner).signingKey;
  const out: { from: string; to: string; data: string; jobId: string }[] = [];
  for (let i = 0; i < n; i++) {
    const client = addressOf(CLIENT_INDEXES[i % CLIENT_INDEXES.length]!);
    const quote: Quote = {
      jobId: jobIds?.[i] ?? jobIdOf(tag, i),
      client,
      pricePerGpuSecond: AGPU('0.0001'),
      maxGpuSeconds: 1_000n,
      tier: toBytes32('a100/eu-west/normal'),
      maxDuration: 600n,
      expiry: now + 86_400n,
      nonce: BigInt(keccak256(toUtf8Bytes(`${tag}-nonce-${i}`))),
    };
    const signature = quoteKey.sign(quoteDigest(fx.domain, quote)).serialized;
    out.push({
      from: client,
      to: fx.deployments.contracts.jobEscrow,
      data: escrowIface.encodeFunctionData('fund', [quote.jobId, quote, signature]),
      jobId: quote.jobId,
    });
  }
  return out;
}

/**
 * `jobs` escrows funded, then each closed (even: settled with usage, odd: refunded): 2 x jobs
 * escrow events plus the deposits' Transfer logs, in few blocks.
 */
export async function escrowActivity(
  fx: Fixture,
  opts: { jobs: number; tag: string; close?: boolean; txsPerBlock?: number },
): Promise<{ jobIds: string[]; blocks: number }> {
  const chain = fx.chain;
  const escrow = fx.deployments.contracts.jobEscrow;
  const funds = await fundCalls(fx, opts.tag, opts.jobs);
  const jobIds = funds.map((f) => f.jobId);
  await chain.rpc('evm_setAutomine', [false]);
  let blocks = 0;
  try {
    const per = opts.txsPerBlock ?? 1_000;
    for (let i = 0; i < funds.length; i += per) {
      await sendAll(
        chain,
        funds.slice(i, i + per).map(({ from, to, data }) => ({ from, to, data })),
      );
      blocks += await mineAll(chain);
    }
    if (opts.close !== false) {
      const settler = addressOf(ACCOUNT.settler);
      const provider = addressOf(PROVIDER_INDEX);
      const closes = jobIds.map((id, i) => ({
        from: settler,
        to: escrow,
        data:
          i % 2 === 0
            ? escrowIface.encodeFunctionData('settle', [id, provider, BigInt(100 + (i % 500))])
            : escrowIface.encodeFunctionData('refund', [id]),
      }));
      for (let i = 0; i < closes.length; i += per) {
        await sendAll(chain, closes.slice(i, i + per));
        blocks += await mineAll(chain);
      }
    }
  } finally {
    await chain.rpc('evm_setAutomine', [true]);
  }
  return { jobIds, blocks };
}

/** Mines `n` empty blocks at once. */
export async function mineEmpty(chain: TestChain, n: number): Promise<void> {
  await chain.rpc('anvil_mine', [`0x${n.toString(16)}`]);
}

export async function headNumber(chain: TestChain): Promise<number> {
  return Number(BigInt(await chain.rpc<string>('eth_blockNumber')));
}
