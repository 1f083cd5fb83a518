import { Wallet, type TypedDataDomain } from 'ethers';
import { quoteDomain, signQuote, type Deployments, type Quote } from '@starminer/chain';
import { type QuoteSigner } from '../app/ports';

/** The pricing key and the EIP-712 domain of the JobEscrow its quotes are for. */
export class WalletQuoteSigner implements QuoteSigner {
  private readonly wallet: Wallet;
  readonly domain: TypedDataDomain;
  readonly chainId: bigint;
  readonly escrow: string;

  constructor(privateKey: string, deployments: Pick<Deployments, 'chainId' | 'contracts'>) {
    this.wallet = new Wallet(privateKey);
    this.chainId = BigInt(deployments.chainId);
    this.escrow = deployments.contracts.jobEscrow;
    this.domain = quoteDomain(this.chainId, this.escrow);
  }

  get address(): string {
    return this.wallet.address;
  }

  /** Signature in exactly the form JobEscrow.fund verifies (QUOTE_TYPES, this domain). */
  sign(quote: Quote): Promise<string> {
    return signQuote(this.wallet, this.domain, quote);
  }
}
