import { uuidv7 } from 'uuidv7';

/**
 * The one source of new identifiers for application code (job ids, request ids). UUIDv7 by
 * default: time-ordered, so ids sort by creation and index well.
 */
export interface IdSource {
  next(): string;
}

export const uuidV7Ids: IdSource = { next: () => uuidv7() };

/** Predictable ids for specs: `<prefix>-1`, `<prefix>-2`, ... */
export class SequentialIds implements IdSource {
  private n = 0;

  constructor(private readonly prefix = 'id') {}

  next(): string {
    this.n += 1;
    return `${this.prefix}-${this.n}`;
  }
}
