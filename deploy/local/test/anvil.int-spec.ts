import { ContractFactory, JsonRpcProvider, NonceManager, Wallet } from 'ethers';
import { requireStackVar } from '@starminer/testing';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const solc = require('solc') as { compile(input: string): string };

// Smoke test of the stack's EVM node: compile a contract, deploy it, send a transaction, read its log.
const SOURCE = `
// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;
contract Ping {
  event Pinged(address indexed from, uint256 n);
  uint256 public count;
  function ping() external { count += 1; emit Pinged(msg.sender, count); }
}`;

function compilePing(): { abi: unknown[]; bytecode: string } {
  const input = {
    language: 'Solidity',
    sources: { 'Ping.sol': { content: SOURCE } },
    settings: { outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (out.errors ?? []).filter((e: { severity: string }) => e.severity === 'error');
  if (errors.length) throw new Error(JSON.stringify(errors));
  const c = out.contracts['Ping.sol'].Ping;
  return { abi: c.abi, bytecode: c.evm.bytecode.object };
}

describe('anvil', () => {
  const provider = new JsonRpcProvider(requireStackVar('CHAIN_RPC_URL'));
  // anvil's well-known dev account 19, which no other test signs with.
  const wallet = new NonceManager(
    new Wallet('0xdf57089febbacf7ba0bc227dafbffa9fc08a93fdc68e1e42411a14efcf23656e', provider),
  );

  afterAll(() => provider.destroy());

  it('deploys a contract, mines a transaction and serves its event log', async () => {
    const { abi, bytecode } = compilePing();
    const contract = await new ContractFactory(abi as never, bytecode, wallet).deploy();
    await contract.waitForDeployment();

    const tx = await (
      contract as unknown as { ping(): Promise<{ wait(): Promise<{ blockNumber: number }> }> }
    ).ping();
    const receipt = await tx.wait();
    const logs = await contract.queryFilter(
      contract.filters.Pinged!(),
      receipt.blockNumber,
      receipt.blockNumber,
    );

    expect(logs).toHaveLength(1);
    const parsed = contract.interface.parseLog(logs[0]!)!;
    expect(parsed.args.from).toBe(await wallet.getAddress());
    expect(parsed.args.n).toBe(1n);
    expect(await provider.getNetwork()).toMatchObject({ chainId: 31337n });
  });
});
