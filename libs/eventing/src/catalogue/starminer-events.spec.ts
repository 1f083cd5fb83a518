import { eventsV1 } from '@starminer/proto';
import { DecodeError, UnknownEventTypeError } from '../domain/errors';
import { decodeEnvelope, encodeEnvelope, type EventEnvelope } from '../envelope';
import { EventRegistry } from './registry';
import {
  jobEvents,
  starminerRegistry,
  type JobEvent,
  type StarminerEvent,
} from './starminer-events';
import { Topics } from './topics';

function envelopeOf(event: StarminerEvent): EventEnvelope<StarminerEvent> {
  return {
    eventId: '0190a6a0-0000-7000-8000-000000000001',
    type: event.type,
    schemaVersion: 1,
    aggregateId: 'job-1',
    aggregateVersion: 3,
    occurredAt: new Date('2025-01-02T03:04:05.000Z'),
    causationId: 'c',
    correlationId: 'r',
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    tracestate: 'vendor=1',
    deploymentId: '31337:0x5fbdb2315678afecb367f032d93f642f64180aa3',
    producer: 'matchmaker',
    event,
  };
}

describe('the StarMiner event catalogue', () => {
  const registry = starminerRegistry();

  it('routes each event family to its topic', () => {
    expect(registry.topicOf('JobFailed')).toBe(Topics.job);
    expect(registry.topicOf('NodeQuarantined')).toBe(Topics.node);
    expect(registry.topicOf('PriceUpdated')).toBe(Topics.market);
    expect(registry.topicOf('ReputationUpdated')).toBe(Topics.reputation);
    expect(registry.topicOf('ChainReorged')).toBe(Topics.chain);
    expect(registry.topics()).toEqual(Object.values(Topics).sort());
  });

  it('names the one service that publishes each event type', () => {
    expect(registry.definition('JobFailed').producer).toBe('matchmaker');
    expect(registry.definition('JobRerouteProposed').producer).toBe('spillover');
    expect(registry.definition('NodeQuarantined').producer).toBe('registry');
    expect(registry.definition('ProviderActivated').producer).toBe('registry');
    expect(registry.definition('PriceUpdated').producer).toBe('pricing');
    expect(registry.definition('ReputationUpdated').producer).toBe('reputation');
    expect(registry.definition('Slashed').producer).toBe('chain-indexer');
    expect(registry.definition('ChainReorged').producer).toBe('chain-indexer');
  });

  it('round-trips an event through the envelope as a discriminated union member', () => {
    const failed: JobEvent = {
      ...eventsV1.JobFailed.fromPartial({
        jobId: 'job-1',
        clientId: 'tenant-9',
        kind: eventsV1.JobFailureKind.JOB_FAILURE_KIND_NODE_FAULT,
        usage: { gpuSeconds: '3600', cost: { baseUnits: '1500000000000000000' } },
        placement: { provider: '0xabc', region: 'eu-west', pool: 'h100', node: 'n1' },
      }),
      type: 'JobFailed',
    };
    const decoded = decodeEnvelope(registry, encodeEnvelope(registry, envelopeOf(failed)));
    // Deployment and producer included: consumers check them before anything else.
    expect(decoded).toEqual(envelopeOf(failed));
    const e = decoded.event;
    // Narrowing on `type` gives the generated message's fields.
    if (e.type !== 'JobFailed') throw new Error('wrong type');
    expect(e.usage?.cost?.baseUnits).toBe('1500000000000000000');
  });

  it('reads an envelope written before deployments were recorded with no deployment or producer', () => {
    const queued = {
      ...eventsV1.JobQueued.fromPartial({ jobId: 'job-0' }),
      type: 'JobQueued' as const,
    };
    const { schemaVersion, payload } = jobEvents.encode(queued);
    const old = eventsV1.Envelope.encode(
      eventsV1.Envelope.fromPartial({
        eventId: 'old-1',
        type: 'JobQueued',
        schemaVersion,
        payload: Buffer.from(payload),
      }),
    ).finish();
    expect(decodeEnvelope(registry, old)).toMatchObject({
      eventId: 'old-1',
      deploymentId: '',
      producer: '',
      event: { type: 'JobQueued', jobId: 'job-0' },
    });
  });

  it('rejects bytes that are not an envelope, and unknown types, as non-retryable', () => {
    expect(() => decodeEnvelope(registry, Buffer.from('definitely not protobuf \xff\xff'))).toThrow(
      DecodeError,
    );
    const unknown = eventsV1.Envelope.encode(
      eventsV1.Envelope.fromPartial({
        eventId: 'x',
        type: 'JobTeleported',
        payload: Buffer.alloc(0),
      }),
    ).finish();
    expect(() => decodeEnvelope(registry, unknown)).toThrow(UnknownEventTypeError);
  });

  it('upcasts an event written with an older schema version when read', () => {
    // Version 2 of a test event: `reason` became mandatory, defaulted for version-1 events.
    const v2 = new EventRegistry().register('JobExpired', eventsV1.JobExpired, {
      topic: Topics.job,
      producer: 'matchmaker',
      schemaVersion: 2,
      upcasters: {
        1: (e) => ({
          ...e,
          reason: e.reason || eventsV1.JobExpiryReason.JOB_EXPIRY_REASON_QUOTE_EXPIRED,
        }),
      },
    });
    const old = jobEvents.encode({
      ...eventsV1.JobExpired.fromPartial({ jobId: 'job-2' }),
      type: 'JobExpired',
    });
    expect(old.schemaVersion).toBe(1);
    const read = v2.decode('JobExpired', old.schemaVersion, old.payload);
    expect(read).toMatchObject({
      type: 'JobExpired',
      jobId: 'job-2',
      reason: eventsV1.JobExpiryReason.JOB_EXPIRY_REASON_QUOTE_EXPIRED,
    });
  });
});
