// `npm run gas -w @starminer/contracts`: gas used by deployments and the main functions, measured on
// a private anvil. Prints a table and writes bench/results/gas-report.json. Informational, not a test.
import fs from 'node:fs';
import path from 'node:path';
import { getAddress, id, type ContractTransactionResponse } from 'ethers';
import { RewardTree, buildInfo, toBytes32 } from '@starminer/chain';
import { startAnvil } from '../test/support/anvil';
import { ACCOUNT, AGPU, addressOf, deployFixture, signedQuote } from '../test/support/fixture';

const OUT = path.resolve(__dirname, '../../bench/results/gas-report.json');

async function main(): Promise<void> {
  const chain = await startAnvil();
  const rows: { contract: string; operation: string; gasUsed: number }[] = [];
  const sizes: Record<string, number> = {};
  async function measure(
    contract: string,
    operation: string,
    tx: Promise<ContractTransactionResponse>,
  ): Promise<void> {
    const receipt = await (await tx).wait();
    if (!receipt) throw new Error(`${operation}: dropped`);
    rows.push({ contract, operation, gasUsed: Number(receipt.gasUsed) });
  }
  try {
    const fx = await deployFixture(chain);
    for (const [contract, address] of Object.entries(fx.deployments.contracts)) {
      const code = await chain.provider.getCode(address);
      sizes[contract] = (code.length - 2) / 2;
    }
    const provider = await fx.as(11);
    const client = await fx.as(10);
    const settler = await fx.as(ACCOUNT.settler);
    await measure(
      'ProviderRegistry',
      'registerProvider (2 regions)',
      provider.providerRegistry.registerProvider('ipfs://p', [
        toBytes32('eu-west'),
        toBytes32('us-east'),
      ]),
    );
    await measure('ProviderRegistry', 'registerClient', client.providerRegistry.registerClient());
    await (await provider.agpu.approve(fx.deployments.contracts.staking, AGPU(1_000))).wait();
    await measure('Staking', 'stake (first)', provider.staking.stake(AGPU(500)));
    await measure('Staking', 'stake (top-up)', provider.staking.stake(AGPU(100)));
    await (await client.agpu.approve(fx.deployments.contracts.jobEscrow, AGPU(1_000_000))).wait();
    const jobs = [];
    for (let i = 0; i < 3; i++) {
      const q = await signedQuote(fx, { client: addressOf(10) });
      await measure(
        'JobEscrow',
        i === 0 ? 'fund (first job)' : 'fund',
        client.jobEscrow.fund(q.quote.jobId, q.quote, q.signature),
      );
      jobs.push(q.quote);
    }
    const [a, b, c] = jobs;
    if (!a || !b || !c) throw new Error('jobs missing');
    await measure('JobEscrow', 'settle', settler.jobEscrow.settle(a.jobId, addressOf(11), 1_000n));
    await measure('JobEscrow', 'refund', settler.jobEscrow.refund(b.jobId));
    await chain.increaseTime(Number(c.maxDuration) + 1_000);
    await measure('JobEscrow', 'reclaim', client.jobEscrow.reclaim(c.jobId));
    await measure('JobEscrow', 'withdraw (provider)', provider.jobEscrow.withdraw());
    await measure('JobEscrow', 'withdraw (client)', client.jobEscrow.withdraw());
    await measure('JobEscrow', 'sweepFees', client.jobEscrow.sweepFees());
    await measure('Staking', 'unbond', provider.staking.unbond(AGPU(100)));
    await measure(
      'Staking',
      'slash (bonded and unbonding)',
      (await fx.as(ACCOUNT.slasher)).staking.slash(addressOf(11), AGPU(450), id('evidence')),
    );
    await chain.increaseTime(1_000);
    await measure('Staking', 'withdraw', provider.staking.withdraw());
    const fees = await fx.read.rewardDistributor.available();
    // 64 distinct accounts: the proof length of a realistic epoch.
    const accounts = Array.from({ length: 64 }, (_, i) =>
      getAddress(`0x${(i + 1).toString(16).padStart(40, '0')}`),
    );
    const tree = RewardTree.build(
      1n,
      accounts.map((account) => ({ account, amount: fees / 64n })),
    );
    const validator = await fx.as(ACCOUNT.validator);
    await measure(
      'RewardDistributor',
      'postEpoch',
      validator.rewardDistributor.postEpoch(1, tree.root, tree.total),
    );
    const claim = tree.claims()[0];
    if (!claim) throw new Error('no claim');
    await measure(
      'RewardDistributor',
      'claim (64-leaf tree)',
      validator.rewardDistributor.claim(1, claim.account, claim.amount, claim.proof),
    );

    const width = Math.max(...rows.map((r) => `${r.contract}.${r.operation}`.length));
    console.log(`${'operation'.padEnd(width)}  gas used`);
    for (const r of rows)
      console.log(
        `${`${r.contract}.${r.operation}`.padEnd(width)}  ${r.gasUsed.toLocaleString('en-US').padStart(9)}`,
      );
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    fs.writeFileSync(
      OUT,
      `${JSON.stringify({ solcVersion: buildInfo.solcVersion, settings: buildInfo.settings, rows, bytecodeSizes: sizes }, null, 2)}\n`,
    );
    console.log(`deployed bytecode sizes (bytes): ${JSON.stringify(sizes)}`);
    console.log(`written to ${path.relative(process.cwd(), OUT)}`);
  } finally {
    await chain.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
