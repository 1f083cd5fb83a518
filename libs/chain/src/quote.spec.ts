import { Wallet, id, verifyTypedData } from 'ethers';
import {
  QUOTE_TYPES,
  quoteDeposit,
  quoteDigest,
  quoteDomain,
  signQuote,
  type Quote,
} from './quote';

const quote: Quote = {
  jobId: id('job'),
  client: '0x1000000000000000000000000000000000000001',
  pricePerGpuSecond: 10n,
  maxGpuSeconds: 20n,
  tier: id('tier'),
  maxDuration: 60n,
  expiry: 1_000n,
  nonce: 1n,
};

describe('quotes', () => {
  it('uses the type string JobEscrow hashes', () => {
    const fields = QUOTE_TYPES.Quote?.map((f) => `${f.type} ${f.name}`).join(',');
    expect(`Quote(${fields})`).toBe(
      'Quote(bytes32 jobId,address client,uint256 pricePerGpuSecond,uint64 maxGpuSeconds,bytes32 tier,uint64 maxDuration,uint64 expiry,uint256 nonce)',
    );
  });

  it('signs so that the signer is recovered, and binds chain and contract', async () => {
    const wallet = Wallet.createRandom();
    const domain = quoteDomain(31337, '0x2000000000000000000000000000000000000002');
    const sig = await signQuote(wallet, domain, quote);
    expect(verifyTypedData(domain, QUOTE_TYPES, quote, sig)).toBe(wallet.address);
    expect(quoteDigest(domain, quote)).not.toBe(
      quoteDigest(quoteDomain(1, '0x2000000000000000000000000000000000000002'), quote),
    );
    expect(quoteDeposit(quote)).toBe(200n);
  });
});
