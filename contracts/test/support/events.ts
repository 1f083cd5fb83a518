import { type BaseContract, type ContractTransactionResponse, type LogDescription } from 'ethers';

/** Sends, waits, and returns the events `contract` emitted in the transaction. */
export async function eventsOf(
  contract: BaseContract,
  tx: Promise<ContractTransactionResponse>,
): Promise<LogDescription[]> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error('transaction dropped');
  const address = (await contract.getAddress()).toLowerCase();
  return receipt.logs
    .filter((l) => l.address.toLowerCase() === address)
    .map((l) => contract.interface.parseLog(l))
    .filter((e): e is LogDescription => e !== null);
}

/** Asserts exactly one `name` event among `events` with these named arguments; returns it. */
export function expectEvent(
  events: LogDescription[],
  name: string,
  args: Record<string, unknown> = {},
): LogDescription {
  const matching = events.filter((e) => e.name === name);
  expect(matching.map((e) => e.name)).toEqual([name]);
  const event = matching[0] as LogDescription;
  for (const [key, want] of Object.entries(args)) {
    const got: unknown = event.args.getValue(key);
    if (typeof want === 'string' && typeof got === 'string')
      expect(got.toLowerCase()).toBe(want.toLowerCase());
    else if (typeof want === 'number') expect(got).toBe(BigInt(want));
    else expect(got).toEqual(want);
  }
  return event;
}

/** The event's indexed arguments are in the log topics: checks the ABI marks them indexed. */
export function indexedInputs(contract: BaseContract, eventName: string): string[] {
  const fragment = contract.interface.getEvent(eventName);
  if (!fragment) throw new Error(`no event ${eventName}`);
  return fragment.inputs.filter((i) => i.indexed).map((i) => i.name);
}
