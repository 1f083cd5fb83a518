import { type commonV1 } from '@starminer/proto';
import { type QuoteTerms } from '../domain/job-state';

/** Pricing seen from the matchmaker: who signs the quote is swappable. */
export interface QuoteRequest {
  jobId: string;
  clientAddress: string;
  spec: commonV1.JobSpec;
}

export interface PricingPort {
  quote(req: QuoteRequest): Promise<QuoteTerms>;
}

export const PRICING = Symbol('PricingPort');

/** Reputation of providers in [0, 1]; the neutral default until the reputation service scores. */
export interface ReputationPort {
  scores(): Promise<ReadonlyMap<string, number>>;
}

export const REPUTATION = Symbol('ReputationPort');

export class NeutralReputation implements ReputationPort {
  async scores(): Promise<ReadonlyMap<string, number>> {
    return new Map();
  }
}

export interface Clock {
  now(): Date;
}
export const CLOCK = Symbol('Clock');

export interface IdGenerator {
  jobId(): string;
}
export const IDS = Symbol('IdGenerator');
