import { type EventEnvelope, type StarminerEvent } from '@starminer/eventing';
import { eventsV1 } from '@starminer/proto';
import {
  decideSettlement,
  TERMINAL_JOB_TYPES,
  type TerminalJob,
  type TerminalJobType,
} from '../../domain/settlement';
import { type ChainJobIds, type SettlementIntents } from '../ports';

/** Terminal job event -> the pure decider's input; undefined for events that are not terminal. */
export function terminalJobOf(e: StarminerEvent, ids: ChainJobIds): TerminalJob | undefined {
  if (!(TERMINAL_JOB_TYPES as readonly string[]).includes(e.type)) return undefined;
  const ev = e as StarminerEvent & {
    jobId: string;
    placement?: { provider?: string };
    usage?: { gpuSeconds?: string };
    kind?: eventsV1.JobFailureKind;
  };
  const failure =
    e.type !== 'JobFailed'
      ? undefined
      : ev.kind === eventsV1.JobFailureKind.JOB_FAILURE_KIND_WORKLOAD_ERROR
        ? 'workload'
        : ev.kind === eventsV1.JobFailureKind.JOB_FAILURE_KIND_NODE_FAULT
          ? 'node_fault'
          : 'unspecified';
  return {
    type: e.type as TerminalJobType,
    chainJobId: ids.chainJobId(ev.jobId),
    provider: (ev.placement?.provider ?? '').toLowerCase(),
    gpuSeconds: BigInt(ev.usage?.gpuSeconds || '0'),
    failure,
  };
}

/**
 * Consumer handler of starminer.job.v1 for the settlement signer: records what to do for a finished
 * job, once per job, in the consumer's transaction (so with its inbox row), to which `intents` is
 * bound. Nothing is sent here: the signer sends from the recorded intent, after checking the
 * chain, so a redelivered event, a second terminal event of one job, or a restart never leads to
 * a second transaction.
 */
export class RecordSettlementIntentHandler {
  constructor(private readonly ids: ChainJobIds) {}

  async handle(env: EventEnvelope<StarminerEvent>, intents: SettlementIntents): Promise<void> {
    const job = terminalJobOf(env.event, this.ids);
    if (!job) return;
    await intents.record({
      chainJobId: job.chainJobId,
      serviceJobId: (env.event as { jobId: string }).jobId,
      action: decideSettlement(job),
      sourceEventId: env.eventId,
    });
  }
}
