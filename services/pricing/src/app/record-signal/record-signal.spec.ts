import { type JobEvent, type NodeEvent } from '@starminer/eventing';
import { commonV1, eventsV1 } from '@starminer/proto';
import { DEFAULT_POLICY } from '../../domain/policy';
import { flatStrategy } from '../../domain/strategy';
import { envelope, InMemorySignalLog } from '../market.fixtures';
import { RecordSignalHandler } from './record-signal.handler';

const H100 = 'NVIDIA-H100-80GB-HBM3';

const nodeJoined = (region: string, node: string): NodeEvent => ({
  type: 'NodeJoined',
  ...eventsV1.NodeJoined.fromPartial({
    region,
    node,
    gpus: { product: H100, count: 8, memoryMib: 81559 },
  }),
});

const jobQueued = (jobId: string, region: string): JobEvent => ({
  type: 'JobQueued',
  ...eventsV1.JobQueued.fromPartial({
    jobId,
    tier: { gpuProduct: H100, region, urgency: commonV1.Urgency.URGENCY_HIGH },
    gpu: { product: H100, count: 2 },
  }),
});

describe('RecordSignalHandler', () => {
  let log: InMemorySignalLog;
  const handler = new RecordSignalHandler(new Set(['us-east']));

  beforeEach(() => {
    log = new InMemorySignalLog(flatStrategy(DEFAULT_POLICY));
  });

  it('records a node of a served region as supply, under the event id', async () => {
    await handler.handle(envelope(nodeJoined('us-east', 'n1'), { eventId: 'e1', at: 5_000 }), log);

    expect(log.entries).toEqual([
      {
        seq: 1n,
        eventId: 'e1',
        entry: {
          kind: 'node-up',
          at: 5_000,
          node: 'us-east/n1',
          region: 'us-east',
          gpuClass: 'H100-80GB',
          gpus: 8,
          vramMiB: 81559,
        },
      },
    ]);
  });

  it('records a job queued in a served region as demand of its tier', async () => {
    await handler.handle(envelope(jobQueued('j1', 'us-east'), { eventId: 'e2', at: 7_000 }), log);

    expect(log.signals()).toEqual([
      {
        kind: 'job-queued',
        at: 7_000,
        jobId: 'j1',
        region: 'us-east',
        gpuClass: 'H100-80GB',
        urgency: 'high',
        gpus: 2,
      },
    ]);
  });

  it('records a job queued in another region as having left this market', async () => {
    await handler.handle(envelope(jobQueued('j2', 'eu-west'), { eventId: 'e3', at: 8_000 }), log);

    expect(log.signals()).toEqual([
      { kind: 'job-ended', at: 8_000, jobId: 'j2', outcome: 'cancelled' },
    ]);
  });

  it('records nothing for a node outside the served regions', async () => {
    await handler.handle(envelope(nodeJoined('eu-west', 'n9'), { eventId: 'e4', at: 1 }), log);

    expect(log.entries).toEqual([]);
  });

  it('records nothing for an event that moves neither supply nor demand', async () => {
    const submitted: JobEvent = {
      type: 'JobSubmitted',
      ...eventsV1.JobSubmitted.fromPartial({ jobId: 'j3' }),
    };
    await handler.handle(envelope(submitted, { eventId: 'e5', at: 1 }), log);

    expect(log.entries).toEqual([]);
  });
});
