// A job's money path with the generated bindings: a client funds a job against a signed quote,
// the settler settles it with the metered GPU-seconds, and both sides withdraw.
// Run: npx tsx contracts/examples/fund-and-settle.ts  (after `npm run deploy -w @starminer/contracts`)
import { Wallet, parseUnits, type Signer } from 'ethers';
import {
  connectContracts,
  devRoleWallet,
  devWallet,
  quoteDomain,
  randomQuoteNonce,
  readDeployments,
  rpcProvider,
  signQuote,
  toBytes32,
  jobIdFromUuid,
  type Deployments,
} from '@starminer/chain';

export interface ExampleKeys {
  client: Signer;
  provider: Signer;
  pricing: Signer;
  settler: Signer;
}

export async function fundAndSettle(
  d: Deployments,
  keys: ExampleKeys,
): Promise<{ jobId: string; providerPaid: bigint; clientRefund: bigint }> {
  const client = connectContracts(d, keys.client);
  const provider = connectContracts(d, keys.provider);
  const settler = connectContracts(d, keys.settler);
  const clientAddress = await keys.client.getAddress();
  const providerAddress = await keys.provider.getAddress();

  // The provider registers and bonds the minimum stake, which makes it active.
  await (
    await provider.providerRegistry.registerProvider('ipfs://provider-meta', [toBytes32('eu-west')])
  ).wait();
  await (await provider.agpu.approve(d.contracts.staking, d.parameters.minStake)).wait();
  await (await provider.staking.stake(d.parameters.minStake)).wait();

  // The pricing service quotes 0.002 AGPU per GPU-second for up to one GPU-hour.
  const latest = await keys.client.provider?.getBlock('latest');
  const quote = {
    jobId: jobIdFromUuid('0190f3a2-7c1e-7cc0-8f1a-3b5d2e9a4c11'),
    client: clientAddress,
    pricePerGpuSecond: parseUnits('0.002', 18),
    maxGpuSeconds: 3_600n,
    tier: toBytes32('a100/eu-west/normal'),
    maxDuration: 7_200n,
    expiry: BigInt(latest?.timestamp ?? Math.floor(Date.now() / 1000)) + 300n,
    nonce: randomQuoteNonce(),
  };
  const signature = await signQuote(
    keys.pricing,
    quoteDomain(d.chainId, d.contracts.jobEscrow),
    quote,
  );

  // The client registers, approves the deposit and funds the job.
  await (await client.providerRegistry.registerClient()).wait();
  await (
    await client.agpu.approve(d.contracts.jobEscrow, quote.pricePerGpuSecond * quote.maxGpuSeconds)
  ).wait();
  await (await client.jobEscrow.fund(quote.jobId, quote, signature)).wait();

  // The job ran 1,800 GPU-seconds; the settler settles, which only credits balances.
  const receipt = await (
    await settler.jobEscrow.settle(quote.jobId, providerAddress, 1_800n)
  ).wait();
  const settled = receipt?.logs
    .map((l) => settler.jobEscrow.interface.parseLog(l))
    .find((e) => e?.name === 'JobSettled');
  if (!settled) throw new Error('no JobSettled event');

  // Each side pulls its own payout.
  await (await provider.jobEscrow.withdraw()).wait();
  await (await client.jobEscrow.withdraw()).wait();
  return {
    jobId: quote.jobId,
    providerPaid: settled.args.providerAmount as bigint,
    clientRefund: settled.args.clientRefund as bigint,
  };
}

if (require.main === module) {
  // Local chain only: the dev accounts deploy/local's anvil unlocks.
  const rpcUrl = process.argv[2] ?? 'http://127.0.0.1:18545';
  const file = process.argv[3] ?? '/tmp/starminer-run/deployments.json';
  const provider = rpcProvider(rpcUrl);
  const signer = (w: { privateKey: string }) => new Wallet(w.privateKey, provider);
  fundAndSettle(readDeployments(file), {
    client: signer(devWallet(16)),
    provider: signer(devWallet(17)),
    pricing: signer(devRoleWallet('quoteSigner')),
    settler: signer(devRoleWallet('settler')),
  })
    .then((r) =>
      console.log(
        JSON.stringify({
          msg: 'settled',
          jobId: r.jobId,
          providerPaid: r.providerPaid.toString(),
          clientRefund: r.clientRefund.toString(),
        }),
      ),
    )
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    })
    .finally(() => provider.destroy());
}
