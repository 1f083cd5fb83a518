import { ParticipantKind, Roles, toBytes32 } from '@starminer/chain';
import { startAnvil, type TestChain } from './support/anvil';
import { eventsOf, expectEvent, indexedInputs } from './support/events';
import { expectRevert } from './support/revert';
import { ACCOUNT, AGPU, addressOf, deployFixture, type Fixture } from './support/fixture';

const WALLET = 10;
const EU = toBytes32('eu-west');
const US = toBytes32('us-east');

describe('ProviderRegistry', () => {
  let chain: TestChain;
  let fx: Fixture;

  beforeAll(async () => {
    chain = await startAnvil();
    fx = await deployFixture(chain);
  });
  afterAll(() => chain.stop());

  it('indexes the account and kind of every event', () => {
    expect(indexedInputs(fx.read.providerRegistry, 'Registered')).toEqual(['account', 'kind']);
    expect(indexedInputs(fx.read.providerRegistry, 'Updated')).toEqual(['account']);
    expect(indexedInputs(fx.read.providerRegistry, 'Deregistered')).toEqual(['account', 'kind']);
  });

  it('registers a provider with metadata and regions, once', async () => {
    const r = (await fx.as(WALLET)).providerRegistry;
    const events = await eventsOf(r, r.registerProvider('ipfs://p1', [EU, US]));
    expectEvent(events, 'Registered', {
      account: addressOf(WALLET),
      kind: BigInt(ParticipantKind.Provider),
      metadataURI: 'ipfs://p1',
    });
    expect(await r.isProvider(addressOf(WALLET))).toBe(true);
    const p = await r.participant(addressOf(WALLET));
    expect(p.metadataURI).toBe('ipfs://p1');
    expect([...p.regions]).toEqual([EU, US]);
    await expectRevert(r.registerProvider('ipfs://p1', [EU]), 'AlreadyRegistered', [
      addressOf(WALLET),
      ParticipantKind.Provider,
    ]);
  });

  it('validates metadata and regions', async () => {
    const r = (await fx.as(11)).providerRegistry;
    await expectRevert(r.registerProvider('', [EU]), 'EmptyMetadataURI');
    await expectRevert(r.registerProvider('x'.repeat(513), [EU]), 'MetadataURITooLong', [
      513n,
      512n,
    ]);
    await expectRevert(r.registerProvider('ipfs://x', []), 'NoRegions');
    await expectRevert(r.registerProvider('ipfs://x', Array(33).fill(EU)), 'TooManyRegions', [
      33n,
      32n,
    ]);
    await expectRevert(r.registerProvider('ipfs://x', [EU, `0x${'0'.repeat(64)}`]), 'EmptyRegion', [
      1n,
    ]);
  });

  it('updates a provider and emits Updated; a non-provider cannot', async () => {
    const r = (await fx.as(WALLET)).providerRegistry;
    const events = await eventsOf(r, r.updateProvider('ipfs://p1-v2', [US]));
    expectEvent(events, 'Updated', { account: addressOf(WALLET), metadataURI: 'ipfs://p1-v2' });
    expect([...(await r.participant(addressOf(WALLET))).regions]).toEqual([US]);
    const stranger = (await fx.as(12)).providerRegistry;
    await expectRevert(stranger.updateProvider('ipfs://x', [EU]), 'NotRegistered', [
      addressOf(12),
      ParticipantKind.Provider,
    ]);
  });

  it('holds several kinds per wallet and deregisters them one by one', async () => {
    const r = (await fx.as(WALLET)).providerRegistry;
    expectEvent(await eventsOf(r, r.registerValidator('ipfs://v')), 'Registered', {
      kind: BigInt(ParticipantKind.Validator),
    });
    expectEvent(await eventsOf(r, r.registerClient()), 'Registered', {
      kind: BigInt(ParticipantKind.Client),
    });
    expect([
      await r.isProvider(addressOf(WALLET)),
      await r.isValidator(addressOf(WALLET)),
      await r.isClient(addressOf(WALLET)),
    ]).toEqual([true, true, true]);

    expectEvent(await eventsOf(r, r.deregister(ParticipantKind.Provider)), 'Deregistered', {
      account: addressOf(WALLET),
      kind: BigInt(ParticipantKind.Provider),
    });
    expect(await r.isProvider(addressOf(WALLET))).toBe(false);
    expect((await r.participant(addressOf(WALLET))).regions).toHaveLength(0);
    await expectRevert(r.deregister(ParticipantKind.Provider), 'NotRegistered', [
      addressOf(WALLET),
      ParticipantKind.Provider,
    ]);
    await (await r.deregister(ParticipantKind.Validator)).wait();
    await (await r.deregister(ParticipantKind.Client)).wait();
    expect((await r.participant(addressOf(WALLET))).kinds).toBe(0n);
    await expectRevert(
      (await fx.as(13)).providerRegistry.registerValidator(''),
      'EmptyMetadataURI',
    );
  });
});

describe('AGPU', () => {
  let chain: TestChain;
  let fx: Fixture;

  beforeAll(async () => {
    chain = await startAnvil();
    fx = await deployFixture(chain);
  });
  afterAll(() => chain.stop());

  it('is named, has 18 decimals and sent the undistributed supply to the treasury', async () => {
    const t = fx.read.agpu;
    expect([await t.name(), await t.symbol(), await t.decimals()]).toEqual([
      'StarMiner GPU',
      'AGPU',
      18n,
    ]);
    expect(await t.balanceOf(addressOf(ACCOUNT.treasury))).toBe(
      AGPU(100_000_000) - 10n * AGPU(1_000_000),
    );
    expect(await t.balanceOf(addressOf(ACCOUNT.deployer))).toBe(0n);
  });

  it('mints only for MINTER_ROLE, which the admin holds and the deployer gave up', async () => {
    const admin = await fx.as(ACCOUNT.admin);
    const events = await eventsOf(admin.agpu, admin.agpu.mint(addressOf(12), AGPU(5)));
    expectEvent(events, 'Transfer', { to: addressOf(12), value: AGPU(5) });
    for (const who of [ACCOUNT.deployer, ACCOUNT.outsider]) {
      const t = (await fx.as(who)).agpu;
      await expectRevert(t.mint(addressOf(who), 1n), 'AccessControlUnauthorizedAccount', [
        addressOf(who),
        Roles.MINTER,
      ]);
    }
    expect(await fx.read.agpu.hasRole(Roles.DEFAULT_ADMIN, addressOf(ACCOUNT.deployer))).toBe(
      false,
    );
  });

  it('accepts an EIP-2612 permit and rejects an expired one', async () => {
    const owner = await fx.signer(12);
    const domain = {
      name: 'StarMiner GPU',
      version: '1',
      chainId: 31337n,
      verifyingContract: fx.deployments.contracts.agpu,
    };
    const types = {
      Permit: [
        { name: 'owner', type: 'address' },
        { name: 'spender', type: 'address' },
        { name: 'value', type: 'uint256' },
        { name: 'nonce', type: 'uint256' },
        { name: 'deadline', type: 'uint256' },
      ],
    };
    const { Signature } = await import('ethers');
    const now = BigInt(await chain.now());
    const value = {
      owner: addressOf(12),
      spender: addressOf(13),
      value: AGPU(1),
      nonce: 0n,
      deadline: now + 100n,
    };
    const sig = Signature.from(await owner.signTypedData(domain, types, value));
    const t = (await fx.as(13)).agpu;
    await (
      await t.permit(value.owner, value.spender, value.value, value.deadline, sig.v, sig.r, sig.s)
    ).wait();
    expect(await t.allowance(addressOf(12), addressOf(13))).toBe(AGPU(1));
    const old = { ...value, nonce: 1n, deadline: now - 1n };
    const oldSig = Signature.from(await owner.signTypedData(domain, types, old));
    await expectRevert(
      t.permit(old.owner, old.spender, old.value, old.deadline, oldSig.v, oldSig.r, oldSig.s),
      'ERC2612ExpiredSignature',
    );
  });
});
