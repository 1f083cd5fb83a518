// The kit's gRPC server on a real socket: a generated service served next to health and
// reflection, health statuses (overall and per service) following readiness, Watch streams,
// and the interceptor hook seeing call metadata.
import * as grpc from '@grpc/grpc-js';
import { protoRoot, reputationV1, serviceProtoFiles } from '@starminer/proto';
import { GrpcServer, JsonLogger } from '../src';
import { healthCheck, healthWatch, reflectedServices } from './support/grpc-probes';

const serviceName = 'starminer.reputation.v1.ReputationService';

describe('GrpcServer', () => {
  const seenTraceparents: string[] = [];
  const recordTraceparent: grpc.ServerInterceptor = (_method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, mdNext) => {
            seenTraceparents.push(String(metadata.get('traceparent')[0] ?? ''));
            mdNext(metadata);
          },
        }),
    });

  // A test double of the service's handlers, answering from a fixed table.
  // fromPartial keeps this double independent of fields the real service adds later.
  const scores: Record<string, reputationV1.ProviderScore> = {
    '0xabc': reputationV1.ProviderScore.fromPartial({
      provider: '0xabc',
      scoreBps: 9_500,
      jobsSucceeded: '9007199254740993',
      jobsFailed: '0',
      slashes: '0',
      updatedAt: '2030-01-01T00:00:00.000Z',
    }),
  };
  const unimplemented = (_call: unknown, callback: grpc.sendUnaryData<never>) =>
    callback({ code: grpc.status.UNIMPLEMENTED, details: 'not served by this double' }, null);
  const implementation: reputationV1.ReputationServiceServer = {
    getScore: (call, callback) => callback(null, { score: scores[call.request.provider] }),
    listScores: (_call, callback) =>
      callback(null, { scores: Object.values(scores), nextPageToken: '' }),
    explainScore: unimplemented,
    getRewardProof: unimplemented,
  };

  const server = new GrpcServer({
    logger: new JsonLogger({ service: 'test', level: 'fatal' }),
    protoRoot,
    services: [
      {
        name: serviceName,
        definition: reputationV1.ReputationServiceService,
        implementation,
        protoFile: serviceProtoFiles.reputation,
      },
    ],
    interceptors: [recordTraceparent],
  });
  let port = 0;

  beforeAll(async () => {
    port = await server.start(0);
  });
  afterAll(async () => {
    await server.stop(1_000);
  });

  it('serves the generated service, exact 64-bit values and timestamps included, through the interceptors', async () => {
    const client = new reputationV1.ReputationServiceClient(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
    );
    const metadata = new grpc.Metadata();
    metadata.set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    const reply = await new Promise<reputationV1.GetScoreResponse>((resolve, reject) =>
      client.getScore(
        reputationV1.GetScoreRequest.fromPartial({ provider: '0xabc' }),
        metadata,
        (err, res) => (err ? reject(err) : resolve(res)),
      ),
    );
    client.close();
    expect(reply.score).toEqual(scores['0xabc']);
    expect(seenTraceparents).toContain('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  });

  it('lists the served service, health and reflection through reflection', async () => {
    expect(await reflectedServices(port)).toEqual([
      'grpc.health.v1.Health',
      'grpc.reflection.v1.ServerReflection',
      'grpc.reflection.v1alpha.ServerReflection',
      serviceName,
    ]);
  });

  it('reports health overall and per service, following readiness, to Check and Watch', async () => {
    const watch = healthWatch(port, serviceName);
    try {
      expect(await watch.next()).toBe('NOT_SERVING');
      expect(await healthCheck(port, '')).toBe('NOT_SERVING');

      server.setServing(true);
      expect(await watch.next()).toBe('SERVING');
      expect(await healthCheck(port, '')).toBe('SERVING');
      expect(await healthCheck(port, serviceName)).toBe('SERVING');

      server.setServing(false);
      expect(await watch.next()).toBe('NOT_SERVING');
      expect(await healthCheck(port, serviceName)).toBe('NOT_SERVING');
    } finally {
      watch.close();
    }
  });

  it('answers NOT_FOUND for a service it does not serve', async () => {
    await expect(healthCheck(port, 'starminer.pricing.v1.PricingService')).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
  });
});
