import { boundedApi, KubeRequestTimeout } from './bounded-api';

describe('boundedApi', () => {
  class FakeApi {
    readonly basePath = 'https://x';
    private readonly answer = 42;
    quick(): Promise<number> {
      return Promise.resolve(this.answer);
    }
    never(): Promise<number> {
      return new Promise(() => undefined);
    }
    refuse(): Promise<number> {
      return Promise.reject(Object.assign(new Error('conflict'), { code: 409 }));
    }
  }
  const api = boundedApi(new FakeApi(), 50, 'r1');

  it('passes answers, errors and plain properties through, with the client as this', async () => {
    await expect(api.quick()).resolves.toBe(42);
    await expect(api.refuse()).rejects.toMatchObject({ code: 409 });
    expect(api.basePath).toBe('https://x');
  });

  it('fails a call the API server does not answer in time, naming the region and call', async () => {
    const err = await api.never().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeRequestTimeout);
    expect((err as Error).message).toBe('r1 never: the API server did not answer within 50 ms');
  });
});
