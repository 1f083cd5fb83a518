import { type EscrowState, type ParticipantState, type StakeState } from '../../domain/projection';
import { InvalidArgumentError, NotFoundError } from '../errors';
import { CHAIN_ID, InMemoryMirror, logAt } from '../mirror.fixtures';
import { MirrorQueries } from './mirror-queries';

const CLIENT = '0x00000000000000000000000000000000000000c1';
const PROVIDER = '0x00000000000000000000000000000000000000b2';
const OTHER = '0x00000000000000000000000000000000000000d3';
const JOB = `0x${'ab'.repeat(32)}`;
const MIN_STAKE = 100n;

const escrow = (over: Partial<EscrowState> = {}): EscrowState => ({
  kind: 'escrow',
  jobId: JOB,
  client: CLIENT,
  status: 'funded',
  amount: 1_000n,
  pricePerGpuSecond: 1n,
  maxGpuSeconds: 1_000n,
  tier: '0xtier',
  deadline: 0n,
  nonce: 1n,
  checkpoint: logAt(10).checkpoint,
  blockNumber: 10,
  ...over,
});
const stake = (bonded: bigint): StakeState => ({
  kind: 'stake',
  provider: PROVIDER,
  bonded,
  unbonding: 0n,
  unbondReadyAt: 0n,
  slashed: 0n,
  withdrawn: 0n,
  checkpoint: logAt(12).checkpoint,
  blockNumber: 12,
});
const participant: ParticipantState = {
  kind: 'participant',
  account: PROVIDER,
  roles: ['provider'],
  metadataUri: 'ipfs://meta',
  regions: ['eu-west'],
  registeredAt: logAt(11).checkpoint,
  checkpoint: logAt(11).checkpoint,
  blockNumber: 11,
};

describe('MirrorQueries', () => {
  let mirror: InMemoryMirror;
  let queries: MirrorQueries;

  beforeEach(() => {
    mirror = new InMemoryMirror();
    queries = new MirrorQueries(mirror, MIN_STAKE);
    for (const b of [10, 11, 12, 13]) mirror.chainLogs.set(logAt(b).checkpoint, logAt(b));
  });

  describe('escrow', () => {
    it('serves an escrow with the positions of the logs that funded and closed it', async () => {
      mirror.escrows.set(
        JOB,
        escrow({
          status: 'settled',
          fundedAt: logAt(10).checkpoint,
          closedAt: logAt(13).checkpoint,
        }),
      );

      const found = await queries.escrow(JOB.toUpperCase().replace('0X', '0x'));

      expect(found.escrow.status).toBe('settled');
      expect(found.funded).toEqual(logAt(10));
      expect(found.closed).toEqual(logAt(13));
    });

    it('answers not found for a job the mirror has no escrow of, and refuses a malformed id', async () => {
      await expect(queries.escrow(JOB)).rejects.toThrow(NotFoundError);
      await expect(queries.escrow('0x1234')).rejects.toThrow(InvalidArgumentError);
    });
  });

  describe('stake', () => {
    it('serves zeros for a provider that never staked', async () => {
      const s = await queries.stake(PROVIDER);

      expect(s.stake).toMatchObject({ provider: PROVIDER, bonded: 0n, checkpoint: '' });
      expect(s.updated).toBeUndefined();
    });

    it('serves a stake with the log that last changed it, for an address in any case', async () => {
      mirror.stakes.set(PROVIDER, stake(500n));

      const s = await queries.stake(PROVIDER.replace('b2', 'B2'));

      expect(s.stake.bonded).toBe(500n);
      expect(s.updated).toEqual(logAt(12));
      await expect(queries.stake('0xnot-an-address')).rejects.toThrow(
        new InvalidArgumentError('not an address: 0xnot-an-address'),
      );
    });
  });

  describe('provider', () => {
    it('is active with the provider role and at least the minimum stake', async () => {
      mirror.participants.set(PROVIDER, participant);
      mirror.stakes.set(PROVIDER, stake(MIN_STAKE));

      const p = await queries.provider(PROVIDER);

      expect(p).toMatchObject({ active: true, updated: logAt(11) });
      expect(p.stake.bonded).toBe(MIN_STAKE);
    });

    it('is not active below the minimum stake', async () => {
      mirror.participants.set(PROVIDER, participant);
      mirror.stakes.set(PROVIDER, stake(MIN_STAKE - 1n));

      expect((await queries.provider(PROVIDER)).active).toBe(false);
    });

    it('answers not found for an account that never registered', async () => {
      await expect(queries.provider(OTHER)).rejects.toThrow(`account ${OTHER} never registered`);
    });
  });

  it('totals what a client holds in escrow and got back, with the cursor', async () => {
    mirror.head = {
      chainId: CHAIN_ID,
      blockNumber: 13,
      blockHash: '0xblock13',
      finalizedNumber: 1,
    };
    mirror.escrows.set('a', escrow({ jobId: 'a', amount: 300n }));
    mirror.escrows.set('b', escrow({ jobId: 'b', amount: 200n }));
    mirror.escrows.set('c', escrow({ jobId: 'c', status: 'refunded', clientRefund: 50n }));

    await expect(queries.clientEscrowTotals(CLIENT)).resolves.toEqual({
      escrowed: 500n,
      escrowedJobs: 2,
      refunded: 50n,
      cursor: mirror.head,
    });
    await expect(queries.clientEscrowTotals('client')).rejects.toThrow(InvalidArgumentError);
  });

  describe('token flows', () => {
    beforeEach(() => {
      mirror.addFlow(logAt(10), 0, CLIENT, PROVIDER, 1n, JOB);
      mirror.addFlow(logAt(12), 0, PROVIDER, CLIENT, 2n);
      mirror.addFlow(logAt(12), 1, OTHER, CLIENT, 3n, JOB);
      mirror.addFlow(logAt(13), 0, OTHER, PROVIDER, 4n);
    });

    it('pages the flows of an address oldest first, the token resuming after the last served', async () => {
      const first = await queries.flowsByAddress(CLIENT, 2, '', false);
      expect(first.flows.map((f) => f.amount)).toEqual(['1', '2']);
      expect(first.nextPageToken).toBe(first.flows[1]!.cursor);

      const last = await queries.flowsByAddress(CLIENT, 2, first.nextPageToken, false);
      expect(last.flows.map((f) => f.amount)).toEqual(['3']);
      expect(last.nextPageToken).toBe('');
    });

    it('pages newest first on request, 50 to a page by default', async () => {
      const page = await queries.flowsByAddress(PROVIDER, 0, '', true);
      expect(page.flows.map((f) => f.amount)).toEqual(['4', '2', '1']);
      expect(page.nextPageToken).toBe('');
    });

    it('serves the flows of a job', async () => {
      const page = await queries.flowsByJob(JOB.toUpperCase().replace('0X', '0x'), 10, '', false);
      expect(page.flows.map((f) => f.amount)).toEqual(['1', '3']);
    });

    it('refuses a page size out of range, a token it did not issue and a malformed job id', async () => {
      await expect(queries.flowsByAddress(CLIENT, 501, '', false)).rejects.toThrow(
        'page_size must be 1..500 (0 means 50)',
      );
      await expect(queries.flowsByAddress(CLIENT, 2, 'p2', false)).rejects.toThrow(
        'page_token is not a cursor of this API',
      );
      // the flow listings check their arguments before they return a promise
      expect(() => queries.flowsByJob('job-1', 2, '', false)).toThrow(InvalidArgumentError);
    });
  });
});
