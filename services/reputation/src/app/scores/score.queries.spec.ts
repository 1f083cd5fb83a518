import { type Evidence } from '../../domain/evidence';
import { DEFAULT_MODEL } from '../../domain/model-config';
import { computeScore } from '../../domain/score';
import { InMemoryEvidence, InMemoryScores } from '../reputation.fixtures';
import { ScoreQueries, ScoreQueryError } from './score.queries';

const A = '0x00000000000000000000000000000000000000aa';
const B = '0x00000000000000000000000000000000000000bb';
const C = '0x00000000000000000000000000000000000000cc';
const T0 = Date.UTC(2030, 0, 1);
const HOUR = 3_600_000;

const success = (provider: string, i: number, pool = 'eu-west/a100'): Evidence => ({
  eventId: `s-${provider}-${i}`,
  atMs: T0 + i * HOUR,
  provider,
  pool,
  jobId: `j${i}`,
  kind: 'success',
  weight: 1,
  gpuSeconds: 3_600,
});
const fault = (provider: string, i: number): Evidence => ({
  eventId: `f-${provider}-${i}`,
  atMs: T0 + i * HOUR,
  provider,
  pool: 'eu-west/a100',
  kind: 'fault',
  cause: 'node-fault',
  weight: 1,
  gpuSeconds: 3_600,
});

describe('ScoreQueries', () => {
  let evidence: InMemoryEvidence;
  let scores: InMemoryScores;
  let queries: ScoreQueries;

  /** Records evidence and stores the scores the consumer would compute from it. */
  const given = async (provider: string, ev: Evidence[], asOf: number) => {
    await evidence.add(ev);
    const all = await evidence.forProvider(provider, 0);
    await scores.save(provider, '', computeScore(all, asOf, DEFAULT_MODEL));
    await scores.save(
      provider,
      'eu-west/a100',
      computeScore(
        all.filter((e) => e.pool === 'eu-west/a100'),
        asOf,
        DEFAULT_MODEL,
      ),
    );
  };

  /** Given A with 3 successes, B with 6 faults (excluded), C with one success; A staked. */
  beforeEach(async () => {
    evidence = new InMemoryEvidence();
    scores = new InMemoryScores();
    queries = new ScoreQueries(scores, evidence, DEFAULT_MODEL);
    await given(A, [success(A, 1), success(A, 2), success(A, 3, 'us-east/h100')], T0 + 4 * HOUR);
    await given(
      B,
      [1, 2, 3, 4, 5, 6].map((i) => fault(B, i)),
      T0 + 7 * HOUR,
    );
    await given(C, [success(C, 1)], T0 + 5 * HOUR);
    await evidence.setStake(A, 1_000n, 1, 0);
  });

  it('serves a stored score with the stake and whether it is excluded', async () => {
    const a = await queries.get(` ${A.toUpperCase().replace('0X', '0x')} `);
    expect(a).toMatchObject({ provider: A, pool: '', stake: 1_000n, excluded: false });
    expect(a.scoreBps).toBe(scores.rows.get(`${A}|`)!.scoreBps);

    const b = await queries.get(B);
    expect(b.excluded).toBe(true);
    expect(b.stake).toBe(0n);
  });

  it('serves the newcomer score for a provider or pool without evidence', async () => {
    const newcomer = computeScore([], 0, DEFAULT_MODEL).scoreBps;
    const d = await queries.get('0x00000000000000000000000000000000000000dd', 'us-west/l40s');

    expect(d).toMatchObject({ pool: 'us-west/l40s', scoreBps: newcomer, asOfMs: 0, stake: 0n });
  });

  it('refuses a provider that is not an address and a pool that is not region/pool', async () => {
    await expect(queries.get('0x12')).rejects.toThrow(ScoreQueryError);
    await expect(queries.get(A, 'a100')).rejects.toThrow('pool: "a100" is not accepted');
  });

  it('pages scores best first, the token resuming after the last one served', async () => {
    const q = { sort: 'score' as const, reverse: false, pools: false, provider: '' };
    const first = await queries.list({ ...q, pageSize: 2, pageToken: '' });
    const order = [...scores.rows.values()]
      .filter((s) => s.pool === '')
      .sort((x, y) => y.scoreBps - x.scoreBps)
      .map((s) => s.provider);
    expect(first.scores.map((s) => s.provider)).toEqual(order.slice(0, 2));
    expect(first.nextPageToken).not.toBe('');

    const rest = await queries.list({ ...q, pageSize: 2, pageToken: first.nextPageToken });
    expect(rest.scores.map((s) => s.provider)).toEqual(order.slice(2));
    expect(rest.nextPageToken).toBe('');
  });

  it('lists the pool scores of one provider by provider, reversed on request', async () => {
    const page = await queries.list({
      sort: 'provider',
      reverse: false,
      pools: true,
      provider: A,
      pageSize: 0,
      pageToken: '',
    });
    expect(page.scores.map((s) => [s.provider, s.pool])).toEqual([[A, 'eu-west/a100']]);

    const reversed = await queries.list({
      sort: 'provider',
      reverse: true,
      pools: false,
      provider: '',
      pageSize: 0,
      pageToken: '',
    });
    expect(reversed.scores.map((s) => s.provider)).toEqual([C, B, A]);
  });

  it('refuses a page token of another sort and a page size over 500', async () => {
    const first = await queries.list({
      sort: 'score',
      reverse: false,
      pools: false,
      provider: '',
      pageSize: 1,
      pageToken: '',
    });
    await expect(
      queries.list({
        sort: 'updated',
        reverse: false,
        pools: false,
        provider: '',
        pageSize: 1,
        pageToken: first.nextPageToken,
      }),
    ).rejects.toThrow('page_token: not a token from a previous ListScores with the same sort');
    await expect(
      queries.list({
        sort: 'score',
        reverse: false,
        pools: false,
        provider: '',
        pageSize: 501,
        pageToken: '',
      }),
    ).rejects.toThrow(ScoreQueryError);
  });

  it('explains a pool score by its own evidence, most recent first, with the formula', async () => {
    const x = await queries.explain(A, 'eu-west/a100', 1);

    expect(x.total).toBe(2);
    expect(x.contributions.map((c) => c.eventId)).toEqual([`s-${A}-2`]);
    expect(x.score.scoreBps).toBe(scores.rows.get(`${A}|eu-west/a100`)!.scoreBps);
    expect(x.formula).toContain(`= ${x.score.scoreBps} bps (model ${DEFAULT_MODEL.name})`);
  });

  it('refuses an evidence limit over 1000', async () => {
    await expect(queries.explain(A, '', 1_001)).rejects.toThrow(
      'evidence_limit: 1001 is not accepted; expected 0..1000',
    );
  });
});
