import { jobEvents, type EventEnvelope, type Tx } from '@starminer/eventing';
import { type RoutingRepository } from '../../infra/postgres/routing-repository';
import { type ConsumedEvent, ProjectEventsHandler } from './project-events.handler';

const tx = {} as Tx;
const env = (event: ConsumedEvent, version: number): EventEnvelope<ConsumedEvent> => ({
  eventId: `e-${version}`,
  type: event.type,
  deploymentId: '31337:0x00000000000000000000000000000000000000e5',
  // As the catalogue's owner of the type publishes it (the matchmaker; spillover its proposals).
  producer: jobEvents.definition(event.type).producer,
  schemaVersion: 1,
  aggregateId: 'job-1',
  aggregateVersion: version,
  occurredAt: new Date('2030-01-01T00:00:00Z'),
  causationId: '',
  correlationId: '',
  traceparent: '',
  tracestate: '',
  event,
});

describe('ProjectEventsHandler', () => {
  it('follows a job from queued to matched (GPUs held on its node) and to its end (released), moving the version forward', async () => {
    const changes: unknown[] = [];
    const repo = {
      changeJob: async (_tx: Tx, id: string, v: number, c: unknown) => changes.push([id, v, c]),
    } as unknown as RoutingRepository;
    let kicked = 0;
    const h = new ProjectEventsHandler(repo, () => kicked++);
    const tier = { gpuProduct: 'NVIDIA-H100-80GB-HBM3', region: 'us-east', urgency: 4 };
    await h.apply(
      env(
        {
          type: 'JobQueued',
          jobId: 'job-1',
          clientId: 't',
          tier,
          gpu: undefined,
          placementDeadline: undefined,
          reason: '',
          excludedNode: '',
        },
        4,
      ),
      tx,
    );
    await h.apply(
      env(
        {
          type: 'JobMatched',
          jobId: 'job-1',
          clientId: 't',
          placement: { provider: 'p', region: 'eu-west', pool: 'h100', node: '' },
          gpu: { product: 'H100-80GB', count: 2, minVramMib: 0 },
          attempt: 1,
          node: 'eu-west-h100-0',
          score: 1,
          weightsVersion: 1,
        },
        7,
      ),
      tx,
    );
    await h.apply(
      env(
        {
          type: 'JobRerouteProposed',
          jobId: 'job-1',
          proposalId: 'p',
          fromRegion: 'us-east',
          toRegion: 'eu-west',
          estimatedRttMs: 78,
          pricePerGpuSecond: undefined,
          reason: '',
        },
        0,
      ),
      tx,
    );
    await h.apply(
      env(
        {
          type: 'JobSucceeded',
          jobId: 'job-1',
          clientId: 't',
          placement: undefined,
          usage: undefined,
        },
        10,
      ),
      tx,
    );
    expect(changes).toEqual([
      [
        'job-1',
        4,
        {
          status: 'Queued',
          region: 'us-east',
          waitingSince: new Date('2030-01-01T00:00:00Z'),
          hold: null,
        },
      ],
      [
        'job-1',
        7,
        {
          status: 'Matched',
          routingNote: '',
          hold: { region: 'eu-west', node: 'eu-west-h100-0', gpus: 2 },
        },
      ],
      ['job-1', 10, { status: 'Succeeded', hold: null }],
    ]);
    expect(kicked).toBe(4);
  });
});
