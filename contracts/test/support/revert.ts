import { decodeContractError } from '@starminer/chain';

/**
 * Awaits a call expected to revert with the named custom error (and, if given, these arguments).
 * Fails with what actually happened otherwise.
 */
export async function expectRevert(
  action: Promise<unknown>,
  errorName: string,
  args?: unknown[],
): Promise<void> {
  let caught: unknown;
  try {
    await action;
  } catch (err) {
    caught = err;
  }
  if (caught === undefined) throw new Error(`expected revert ${errorName}, but the call succeeded`);
  const decoded = decodeContractError(caught);
  if (!decoded) {
    throw new Error(
      `expected revert ${errorName}, got an undecodable error: ${(caught as Error).message?.slice(0, 300)}`,
    );
  }
  expect(decoded.name).toBe(errorName);
  if (args) expect([...decoded.args].map(normalize)).toEqual(args.map(normalize));
}

function normalize(v: unknown): unknown {
  if (typeof v === 'number') return BigInt(v);
  if (typeof v === 'string' && /^0x[0-9a-fA-F]{40}$/.test(v)) return v.toLowerCase();
  return v;
}
