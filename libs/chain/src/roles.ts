import { ZeroHash, id } from 'ethers';

/** AccessControl role ids, as the contracts define them (keccak256 of the name). */
export const Roles = {
  DEFAULT_ADMIN: ZeroHash,
  MINTER: id('MINTER_ROLE'),
  SLASHER: id('SLASHER_ROLE'),
  QUOTE_SIGNER: id('QUOTE_SIGNER_ROLE'),
  SETTLER: id('SETTLER_ROLE'),
  VALIDATOR: id('VALIDATOR_ROLE'),
} as const;

export type RoleName = keyof typeof Roles;

/** JobEscrow.Status */
export enum JobStatus {
  None = 0,
  Funded = 1,
  Settled = 2,
  Refunded = 3,
  Reclaimed = 4,
}

/** ProviderRegistry.Kind */
export enum ParticipantKind {
  Provider = 0,
  Validator = 1,
  Client = 2,
}
