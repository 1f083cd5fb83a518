import { DeploymentsError, parseDeployments } from './deployments';

const valid = {
  format: 'starminer-deployments/v1',
  chainId: 31337,
  deploymentBlock: 3,
  contracts: {
    agpu: '0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0',
    providerRegistry: '0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9',
    staking: '0x5FC8d32690cc91D4c39d9d3abcBD16989F875707',
    rewardDistributor: '0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9',
    jobEscrow: '0x0165878A594ca255338adfa4d48449f69242Eb8F',
  },
  roles: {
    deployer: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
    admin: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    quoteSigner: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
    settler: '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
    validator: '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
    slasher: '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65',
    treasury: '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc',
  },
  parameters: {
    feeBps: 500,
    settlementGraceSeconds: 86400,
    minStake: '1000',
    unbondingDelaySeconds: 1,
    claimWindowSeconds: 86400,
  },
  solcVersion: '0.8.37',
};

describe('parseDeployments', () => {
  it('accepts a valid file and checksums addresses', () => {
    const d = parseDeployments(valid);
    expect(d.contracts.agpu).toBe('0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0');
    expect(d.parameters.minStake).toBe('1000');
  });

  it('names the field that is wrong', () => {
    expect(() => parseDeployments({ ...valid, format: 'v0' })).toThrow(DeploymentsError);
    expect(() =>
      parseDeployments({ ...valid, contracts: { ...valid.contracts, staking: 'nope' } }),
    ).toThrow('deployments.contracts.staking: not an address');
    const { jobEscrow: _omit, ...rest } = valid.contracts;
    expect(() => parseDeployments({ ...valid, contracts: rest })).toThrow('missing "jobEscrow"');
    expect(() => parseDeployments({ ...valid, chainId: -1 })).toThrow('deployments.chainId');
  });
});
