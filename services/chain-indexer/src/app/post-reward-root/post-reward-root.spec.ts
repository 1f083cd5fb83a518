import { InvalidArgumentError } from '../errors';
import { InMemoryRewardRootRequests } from '../mirror.fixtures';
import { PostRewardRootHandler, RewardRootConflictError } from './post-reward-root.handler';

const ROOT = `0x${'1a'.repeat(32)}`;
const OTHER_ROOT = `0x${'2b'.repeat(32)}`;
const DISTRIBUTOR = '0x00000000000000000000000000000000000000d1';

describe('PostRewardRootHandler', () => {
  let requests: InMemoryRewardRootRequests;
  let handler: PostRewardRootHandler;
  const ask = (
    over: Partial<{ epoch: string; root: string; total: string; retryFailed: boolean }> = {},
  ) => handler.request({ epoch: '3', root: ROOT, total: '1000', retryFailed: false, ...over });

  beforeEach(() => {
    requests = new InMemoryRewardRootRequests();
    handler = new PostRewardRootHandler(requests, DISTRIBUTOR, 31337);
  });

  it('records a new request as pending for the signer', async () => {
    await expect(ask({ root: ROOT.toUpperCase().replace('0X', '0x') })).resolves.toEqual({
      epoch: 3n,
      root: ROOT,
      total: 1000n,
      status: 'pending',
      txHash: '',
      detail: '',
    });
    expect([...requests.rows.keys()]).toEqual([3n]);
  });

  it('answers the same request again with what happened to the first', async () => {
    await ask();
    requests.rows.set(3n, { ...requests.rows.get(3n)!, status: 'posted', txHash: '0xposted' });

    await expect(ask()).resolves.toMatchObject({ status: 'posted', txHash: '0xposted' });
  });

  it('refuses another root or total for an epoch already requested', async () => {
    await ask();

    await expect(ask({ root: OTHER_ROOT })).rejects.toThrow(RewardRootConflictError);
    await expect(ask({ total: '999' })).rejects.toThrow(
      `epoch 3 was already requested with root ${ROOT} and total 1000; it is not replaced`,
    );
    expect(requests.rows.get(3n)).toMatchObject({ root: ROOT, total: 1000n });
  });

  it('re-opens a failed request with a new root only when asked to retry', async () => {
    await ask();
    requests.rows.set(3n, { ...requests.rows.get(3n)!, status: 'failed', detail: 'no rewards' });

    await expect(ask({ root: OTHER_ROOT })).rejects.toThrow(RewardRootConflictError);
    await expect(ask({ root: OTHER_ROOT, retryFailed: true })).resolves.toMatchObject({
      root: OTHER_ROOT,
      status: 'pending',
      detail: 'retry after: no rewards',
    });
  });

  it('refuses a malformed request naming every problem', async () => {
    await expect(ask({ epoch: '0', root: '0x00', total: '-1' })).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(ask({ epoch: '0' })).rejects.toThrow(
      "PostRewardRoot: epoch '0': accepted is an integer from 1 to 2^64-1",
    );
    expect(requests.rows.size).toBe(0);
  });
});
