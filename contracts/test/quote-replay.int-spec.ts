import { Wallet } from 'ethers';
import { devWallet, quoteDigest, quoteDomain, signQuote } from '@starminer/chain';
import { startAnvil, type TestChain } from './support/anvil';
import { eventsOf, expectEvent } from './support/events';
import { expectRevert } from './support/revert';
import {
  ACCOUNT,
  addressOf,
  deployFixture,
  freshJobId,
  fundJob,
  signedQuote,
  type Fixture,
} from './support/fixture';

const CLIENT = 10;
const OTHER_CLIENT = 11;

describe('JobEscrow quote signatures', () => {
  let chain: TestChain;
  let fx: Fixture;
  let other: Fixture;

  beforeAll(async () => {
    chain = await startAnvil();
    fx = await deployFixture(chain);
    // A second, identical deployment: same pricing key, different escrow address.
    other = await deployFixture(chain);
    for (const f of [fx, other]) {
      for (const i of [CLIENT, OTHER_CLIENT]) {
        const c = await f.as(i);
        await (await c.providerRegistry.registerClient()).wait();
        await (await c.agpu.approve(f.deployments.contracts.jobEscrow, 10n ** 30n)).wait();
      }
    }
  });
  afterAll(() => chain.stop());

  it('hashes a quote off-chain exactly as the contract does', async () => {
    const { quote } = await signedQuote(fx, { client: addressOf(CLIENT) });
    expect(await fx.read.jobEscrow.quoteDigest(quote)).toBe(quoteDigest(fx.domain, quote));
  });

  it('rejects a quote signed for another chain id', async () => {
    const { quote, signature } = await signedQuote(
      fx,
      { client: addressOf(CLIENT) },
      { domain: quoteDomain(1, fx.deployments.contracts.jobEscrow) },
    );
    const client = await fx.as(CLIENT);
    await expectRevert(
      client.jobEscrow.fund(quote.jobId, quote, signature),
      'UnauthorizedQuoteSigner',
    );
  });

  it('rejects a quote signed for another escrow contract', async () => {
    const { quote, signature } = await signedQuote(fx, { client: addressOf(CLIENT) });
    const onOther = await other.as(CLIENT);
    await expectRevert(
      onOther.jobEscrow.fund(quote.jobId, quote, signature),
      'UnauthorizedQuoteSigner',
    );
    // The same signature is good where it was meant to be used.
    const client = await fx.as(CLIENT);
    await (await client.jobEscrow.fund(quote.jobId, quote, signature)).wait();
  });

  it('rejects a quote used for another job, or altered to name another job', async () => {
    const { quote, signature } = await signedQuote(fx, { client: addressOf(CLIENT) });
    const client = await fx.as(CLIENT);
    const otherJob = freshJobId();
    await expectRevert(client.jobEscrow.fund(otherJob, quote, signature), 'QuoteJobMismatch', [
      otherJob,
      quote.jobId,
    ]);
    await expectRevert(
      client.jobEscrow.fund(otherJob, { ...quote, jobId: otherJob }, signature),
      'UnauthorizedQuoteSigner',
    );
  });

  it('rejects a quote after use, and its nonce on any other quote', async () => {
    const { quote, signature } = await fundJob(fx, CLIENT);
    const client = await fx.as(CLIENT);
    await expectRevert(client.jobEscrow.fund(quote.jobId, quote, signature), 'JobAlreadyExists', [
      quote.jobId,
    ]);
    const reused = await signedQuote(fx, { client: addressOf(CLIENT), nonce: quote.nonce });
    await expectRevert(
      client.jobEscrow.fund(reused.quote.jobId, reused.quote, reused.signature),
      'QuoteNonceAlreadyUsed',
      [quote.nonce],
    );
  });

  it('rejects a quote funded by anyone but its client', async () => {
    const { quote, signature } = await signedQuote(fx, { client: addressOf(CLIENT) });
    const stranger = await fx.as(OTHER_CLIENT);
    await expectRevert(
      stranger.jobEscrow.fund(quote.jobId, quote, signature),
      'QuoteClientMismatch',
      [addressOf(CLIENT), addressOf(OTHER_CLIENT)],
    );
  });

  it('rejects an expired quote', async () => {
    const expiry = BigInt(await chain.now()) - 1n;
    const { quote, signature } = await signedQuote(fx, { client: addressOf(CLIENT), expiry });
    const client = await fx.as(CLIENT);
    await expectRevert(client.jobEscrow.fund(quote.jobId, quote, signature), 'QuoteExpired', [
      expiry,
    ]);
  });

  it('rejects a quote from a key without QUOTE_SIGNER_ROLE and a malformed signature', async () => {
    const rogue = Wallet.createRandom();
    const { quote, signature } = await signedQuote(
      fx,
      { client: addressOf(CLIENT) },
      { signer: rogue },
    );
    const client = await fx.as(CLIENT);
    await expectRevert(
      client.jobEscrow.fund(quote.jobId, quote, signature),
      'UnauthorizedQuoteSigner',
      [rogue.address],
    );
    await expectRevert(
      client.jobEscrow.fund(quote.jobId, quote, '0x1234'),
      'InvalidQuoteSignature',
    );
  });

  it('lets the pricing key revoke an issued quote by its nonce', async () => {
    const { quote, signature } = await signedQuote(fx, { client: addressOf(CLIENT) });
    const pricing = await fx.as(ACCOUNT.quoteSigner);
    const events = await eventsOf(
      fx.read.jobEscrow,
      pricing.jobEscrow.revokeQuoteNonce(quote.nonce),
    );
    expectEvent(events, 'QuoteNonceRevoked', {
      nonce: quote.nonce,
      signer: addressOf(ACCOUNT.quoteSigner),
    });
    const client = await fx.as(CLIENT);
    await expectRevert(
      client.jobEscrow.fund(quote.jobId, quote, signature),
      'QuoteNonceAlreadyUsed',
      [quote.nonce],
    );
    await expectRevert(pricing.jobEscrow.revokeQuoteNonce(quote.nonce), 'QuoteNonceAlreadyUsed');
  });

  it('accepts quotes signed through the library helper with the deployment domain', async () => {
    const now = BigInt(await chain.now());
    const quote = {
      jobId: freshJobId(),
      client: addressOf(CLIENT),
      pricePerGpuSecond: 5n,
      maxGpuSeconds: 7n,
      tier: `0x${'11'.repeat(32)}`,
      maxDuration: 0n,
      expiry: now + 60n,
      nonce: 42n,
    };
    const signer = new Wallet(devWallet(ACCOUNT.quoteSigner).privateKey);
    const signature = await signQuote(
      signer,
      quoteDomain(fx.deployments.chainId, fx.deployments.contracts.jobEscrow),
      quote,
    );
    const client = await fx.as(CLIENT);
    await (await client.agpu.approve(fx.deployments.contracts.jobEscrow, 35n)).wait();
    const events = await eventsOf(
      fx.read.jobEscrow,
      client.jobEscrow.fund(quote.jobId, quote, signature),
    );
    expectEvent(events, 'JobFunded', { amount: 35n });
  });
});
