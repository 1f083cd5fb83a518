import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseUnits } from 'ethers';
import { Roles, connectContracts, devWallet, readDeployments } from '@starminer/chain';
import { fundAndSettle } from '../examples/fund-and-settle';
import { startAnvil, type TestChain } from './support/anvil';

const run = promisify(execFile);
const CONTRACTS = path.resolve(__dirname, '..');

describe('npm run deploy on a fresh anvil, then the documented example', () => {
  let chain: TestChain;
  let out: string;

  beforeAll(async () => {
    chain = await startAnvil();
    out = path.join(
      fs.mkdtempSync(path.join(os.tmpdir(), 'starminer-deploy-')),
      'deployments.json',
    );
  });
  afterAll(() => chain.stop());

  it('deploys the whole protocol with one command and writes the deployments file', async () => {
    const tsx = path.resolve(CONTRACTS, '../node_modules/.bin/tsx');
    const { stdout } = await run(tsx, ['scripts/deploy.ts', '--out', out], {
      cwd: CONTRACTS,
      env: { ...process.env, CHAIN_RPC_URL: chain.url },
    });
    expect(stdout).toContain('"msg":"deployed"');
    const d = readDeployments(out);
    expect(d.chainId).toBe(31337);
    expect(d.deploymentBlock).toBeGreaterThan(0);
    // Separate keys per role, and each holds its role.
    expect(
      new Set([
        d.roles.deployer,
        d.roles.admin,
        d.roles.quoteSigner,
        d.roles.settler,
        d.roles.slasher,
        d.roles.treasury,
      ]).size,
    ).toBe(6);
    const c = connectContracts(d, chain.provider);
    expect(await c.jobEscrow.hasRole(Roles.QUOTE_SIGNER, d.roles.quoteSigner)).toBe(true);
    expect(await c.jobEscrow.hasRole(Roles.SETTLER, d.roles.settler)).toBe(true);
    expect(await c.staking.hasRole(Roles.SLASHER, d.roles.slasher)).toBe(true);
    expect(await c.rewardDistributor.hasRole(Roles.VALIDATOR, d.roles.validator)).toBe(true);
    expect(await c.jobEscrow.hasRole(Roles.DEFAULT_ADMIN, d.roles.admin)).toBe(true);
    expect(await c.jobEscrow.hasRole(Roles.DEFAULT_ADMIN, d.roles.deployer)).toBe(false);
    // Wiring.
    expect(await c.jobEscrow.staking()).toBe(d.contracts.staking);
    expect(await c.jobEscrow.rewards()).toBe(d.contracts.rewardDistributor);
    expect(await c.staking.registry()).toBe(d.contracts.providerRegistry);
    expect(await c.staking.slashRecipient()).toBe(d.roles.treasury);
    for (const address of Object.values(d.contracts))
      expect(await chain.provider.getCode(address)).not.toBe('0x');
  });

  it('reports configuration errors all at once, clearly', async () => {
    const tsx = path.resolve(CONTRACTS, '../node_modules/.bin/tsx');
    const failed = run(tsx, ['scripts/deploy.ts', '--out', out], {
      cwd: CONTRACTS,
      env: { ...process.env, CHAIN_RPC_URL: chain.url, FEE_BPS: '9000', SLASHER_ADDRESS: 'nope' },
    });
    await expect(failed).rejects.toMatchObject({
      stderr: expect.stringMatching(/SLASHER_ADDRESS=nope: not an address[\s\S]*FEE_BPS=9000/),
    });
  });

  it('runs the fund-and-settle example from the docs', async () => {
    const d = readDeployments(out);
    const signer = (i: number) => chain.provider.getSigner(devWallet(i).address);
    const result = await fundAndSettle(d, {
      client: await signer(16),
      provider: await signer(17),
      pricing: devWallet(2).connect(chain.provider),
      settler: await signer(3),
    });
    // 1,800 GPU-s x 0.002 = 3.6 AGPU, less 5% fee; 7.2 - 3.6 back to the client.
    expect(result.providerPaid).toBe(parseUnits('3.42', 18));
    expect(result.clientRefund).toBe(parseUnits('3.6', 18));
  });
});
