/** A request the API refuses as given (what was wrong and what is accepted). */
export class InvalidArgumentError extends Error {
  override readonly name = 'InvalidArgumentError';
}
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}
/** The mirror cannot answer yet (nothing indexed) or the chain node did not answer. */
export class UnavailableError extends Error {
  override readonly name = 'UnavailableError';
}
