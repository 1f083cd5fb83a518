import { type Quote } from '@starminer/chain';
import { type InfeasibleReason, type Offer, type QuoteSpec } from '../../domain/quote-plan';

export interface QuoteCommand {
  /** The job's UUID. */
  jobId: string;
  client: string;
  spec: QuoteSpec;
}

export interface SignedOffer extends Offer {
  estimatedStart: Date;
  quote: Quote;
  signature: string;
}

export type QuoteResult =
  | { feasible: true; offers: SignedOffer[]; signer: string; chainId: bigint; escrow: string }
  | { feasible: false; reason: InfeasibleReason; message: string };

/** A request that cannot be priced as given; `issues` says what was wrong and what is accepted. */
export class QuoteInputError extends Error {
  override readonly name = 'QuoteInputError';
  constructor(readonly issues: string[]) {
    super(`invalid quote request: ${issues.join('; ')}`);
  }
}
