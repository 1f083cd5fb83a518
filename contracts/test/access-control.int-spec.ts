// Every state-changing function of every contract, enumerated from the ABI, is classified here:
// role-gated (must revert with AccessControlUnauthorizedAccount for every key without the role),
// acting on the caller's own state (must revert for a caller who has none), or open by design.
// A function added to a contract without being classified here fails the test.
import { type BaseContract, type FunctionFragment, type ParamType, ZeroHash } from 'ethers';
import { Roles } from '@starminer/chain';
import { startAnvil, type TestChain } from './support/anvil';
import { expectRevert } from './support/revert';
import { ACCOUNT, addressOf, deployFixture, fundJob, type Fixture } from './support/fixture';

type Gate =
  { role: string } | { self: string; args?: (fx: Fixture) => unknown[] } | { open: string };
type ContractKey = 'agpu' | 'providerRegistry' | 'staking' | 'rewardDistributor' | 'jobEscrow';

const roleAdmin = {
  grantRole: { role: Roles.DEFAULT_ADMIN },
  revokeRole: { role: Roles.DEFAULT_ADMIN },
  renounceRole: {
    self: 'AccessControlBadConfirmation',
    args: () => [ZeroHash, addressOf(ACCOUNT.admin)],
  },
};

let openJobId = ZeroHash;

const GATES: Record<ContractKey, Record<string, Gate>> = {
  agpu: {
    ...roleAdmin,
    mint: { role: Roles.MINTER },
    approve: { open: 'ERC-20: moves only the caller’s allowance' },
    transfer: { open: 'ERC-20: moves only the caller’s tokens' },
    transferFrom: { open: 'ERC-20: limited by the owner’s allowance' },
    permit: { open: 'EIP-2612: needs the owner’s signature' },
  },
  providerRegistry: {
    registerProvider: { open: 'self-registration of the caller' },
    registerValidator: { open: 'self-registration of the caller' },
    registerClient: { open: 'self-registration of the caller' },
    updateProvider: { self: 'NotRegistered' },
    deregister: { self: 'NotRegistered', args: () => [0] },
  },
  staking: {
    ...roleAdmin,
    slash: { role: Roles.SLASHER },
    setMinStake: { role: Roles.DEFAULT_ADMIN },
    setUnbondingDelay: { role: Roles.DEFAULT_ADMIN },
    setSlashRecipient: { role: Roles.DEFAULT_ADMIN },
    stake: { self: 'NotAProvider' },
    unbond: { self: 'InsufficientBondedStake' },
    withdraw: { self: 'NothingToWithdraw' },
  },
  rewardDistributor: {
    ...roleAdmin,
    postEpoch: { role: Roles.VALIDATOR },
    setClaimWindow: { role: Roles.DEFAULT_ADMIN },
    depositRewards: { open: 'anyone may add rewards from their own balance' },
    claim: { open: 'pays only the account the Merkle proof names' },
    expireEpoch: { open: 'only after the claim window; moves nothing out' },
  },
  jobEscrow: {
    ...roleAdmin,
    settle: { role: Roles.SETTLER },
    refund: { role: Roles.SETTLER },
    revokeQuoteNonce: { role: Roles.QUOTE_SIGNER },
    setFeeBps: { role: Roles.DEFAULT_ADMIN },
    setSettlementGrace: { role: Roles.DEFAULT_ADMIN },
    fund: { open: 'needs a quote signed for the caller (see quote-replay tests)' },
    fundWithPermit: { open: 'needs a quote signed for the caller (see quote-replay tests)' },
    sweepFees: { open: 'moves fees only to the RewardDistributor' },
    reclaim: { self: 'NotJobClient', args: () => [openJobId] },
    withdraw: { self: 'NothingToWithdraw' },
    withdrawTo: { self: 'NothingToWithdraw', args: () => [addressOf(ACCOUNT.outsider)] },
  },
};

/** Well-formed placeholder arguments: role checks come before any argument check. */
function placeholder(p: ParamType): unknown {
  if (p.baseType === 'array') return [];
  if (p.baseType === 'tuple') return (p.components ?? []).map(placeholder);
  if (p.type === 'address') return addressOf(ACCOUNT.outsider);
  if (p.type === 'bool') return false;
  if (p.type === 'string') return 'x';
  if (p.type === 'bytes') return '0x';
  if (p.type.startsWith('bytes')) return `0x${'01'.repeat(Number(p.type.slice(5)))}`;
  if (p.type.startsWith('uint') || p.type.startsWith('int')) return 1n;
  throw new Error(`no placeholder for ${p.type}`);
}

function stateChanging(contract: BaseContract): FunctionFragment[] {
  const out: FunctionFragment[] = [];
  contract.interface.forEachFunction((f) => {
    if (f.stateMutability === 'nonpayable' || f.stateMutability === 'payable') out.push(f);
  });
  return out;
}

const KEYS = [
  ACCOUNT.deployer,
  ACCOUNT.admin,
  ACCOUNT.quoteSigner,
  ACCOUNT.settler,
  ACCOUNT.validator,
  ACCOUNT.slasher,
  ACCOUNT.treasury,
  ACCOUNT.outsider,
];

describe('access control, enumerated from the ABI', () => {
  let chain: TestChain;
  let fx: Fixture;

  beforeAll(async () => {
    chain = await startAnvil();
    fx = await deployFixture(chain);
    openJobId = (await fundJob(fx, 10)).quote.jobId;
  });
  afterAll(() => chain.stop());

  for (const key of Object.keys(GATES) as ContractKey[]) {
    describe(key, () => {
      it('classifies every state-changing function', () => {
        const names = stateChanging(fx.read[key])
          .map((f) => f.name)
          .sort();
        expect(names).toEqual(Object.keys(GATES[key]).sort());
      });

      it('reverts role-gated functions for every key without the role', async () => {
        for (const f of stateChanging(fx.read[key])) {
          const gate = GATES[key][f.name];
          if (!gate || !('role' in gate)) continue;
          for (const who of KEYS) {
            const caller = addressOf(who);
            if (await fx.read[key].getFunction('hasRole').staticCall(gate.role, caller)) continue;
            const bound = (await fx.as(who))[key];
            await expectRevert(
              bound.getFunction(f.format()).staticCall(...f.inputs.map(placeholder)),
              'AccessControlUnauthorizedAccount',
              [caller, gate.role],
            );
          }
        }
      });

      it('reverts functions on the caller’s own state for a caller who has none', async () => {
        for (const f of stateChanging(fx.read[key])) {
          const gate = GATES[key][f.name];
          if (!gate || !('self' in gate)) continue;
          const bound = (await fx.as(ACCOUNT.outsider))[key];
          const args = gate.args ? gate.args(fx) : f.inputs.map(placeholder);
          await expectRevert(bound.getFunction(f.format()).staticCall(...args), gate.self);
        }
      });
    });
  }

  it('leaves the deployer without any role', async () => {
    const deployer = addressOf(ACCOUNT.deployer);
    for (const key of Object.keys(GATES) as Exclude<ContractKey, 'providerRegistry'>[]) {
      if (!('hasRole' in fx.read[key])) continue;
      for (const role of Object.values(Roles)) {
        expect(await fx.read[key].getFunction('hasRole').staticCall(role, deployer)).toBe(false);
      }
    }
  });
});
