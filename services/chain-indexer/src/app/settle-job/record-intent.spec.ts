import { type StarminerEvent } from '@starminer/eventing';
import { eventsV1 } from '@starminer/proto';
import { fakeChainJobIds, RecordedSettlementIntents } from '../mirror.fixtures';
import { RecordSettlementIntentHandler } from './record-intent.handler';

const JOB = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const PROVIDER = '0x00000000000000000000000000000000000000B2';
const placement = { provider: PROVIDER, region: 'eu-west', pool: 'h100', node: 'n1' };

const envelope = (event: StarminerEvent, eventId = 'e1') => ({
  eventId,
  type: event.type,
  schemaVersion: 1,
  aggregateId: JOB,
  aggregateVersion: 1,
  occurredAt: new Date(0),
  causationId: '',
  correlationId: eventId,
  traceparent: '',
  tracestate: '',
  deploymentId: 'test',
  producer: 'matchmaker',
  event,
});

const succeeded = (gpuSeconds = '600'): StarminerEvent => ({
  type: 'JobSucceeded',
  ...eventsV1.JobSucceeded.fromPartial({ jobId: JOB, placement, usage: { gpuSeconds } }),
});
const failed = (kind: eventsV1.JobFailureKind): StarminerEvent => ({
  type: 'JobFailed',
  ...eventsV1.JobFailed.fromPartial({ jobId: JOB, placement, usage: { gpuSeconds: '60' }, kind }),
});

describe('RecordSettlementIntentHandler', () => {
  const handler = new RecordSettlementIntentHandler(fakeChainJobIds);
  let intents: RecordedSettlementIntents;

  beforeEach(() => {
    intents = new RecordedSettlementIntents();
  });

  it('records a settlement paying the provider for the metered use of a job that succeeded', async () => {
    await handler.handle(envelope(succeeded()), intents);

    expect(intents.intents).toEqual([
      {
        chainJobId: `chain:${JOB}`,
        serviceJobId: JOB,
        action: { kind: 'settle', provider: PROVIDER.toLowerCase(), gpuSeconds: 600n },
        sourceEventId: 'e1',
      },
    ]);
  });

  it('pays for a workload failure and refunds a node fault', async () => {
    await handler.handle(
      envelope(failed(eventsV1.JobFailureKind.JOB_FAILURE_KIND_WORKLOAD_ERROR)),
      intents,
    );
    const refunded = new RecordedSettlementIntents();
    await handler.handle(
      envelope(failed(eventsV1.JobFailureKind.JOB_FAILURE_KIND_NODE_FAULT)),
      refunded,
    );

    expect(intents.intents[0]!.action).toEqual({
      kind: 'settle',
      provider: PROVIDER.toLowerCase(),
      gpuSeconds: 60n,
    });
    expect(refunded.intents[0]!.action).toEqual({ kind: 'refund' });
  });

  it('keeps the first intent of a job when a second terminal event of it arrives', async () => {
    await handler.handle(envelope(succeeded('600'), 'first'), intents);
    const expired: StarminerEvent = {
      type: 'JobExpired',
      ...eventsV1.JobExpired.fromPartial({ jobId: JOB }),
    };

    await handler.handle(envelope(expired, 'second'), intents);

    expect(intents.intents.map((i) => [i.sourceEventId, i.action.kind])).toEqual([
      ['first', 'settle'],
    ]);
  });

  it('records nothing for an event that does not end a job', async () => {
    const started: StarminerEvent = {
      type: 'JobStarted',
      ...eventsV1.JobStarted.fromPartial({ jobId: JOB, placement }),
    };

    await handler.handle(envelope(started), intents);

    expect(intents.intents).toEqual([]);
  });
});
