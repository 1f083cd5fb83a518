import { quoteSchema, type EventEnvelope, type StarminerEvent, type Tx } from '@starminer/eventing';
import { eventsV1 } from '@starminer/proto';
import {
  decideSettlement,
  TERMINAL_JOB_TYPES,
  type TerminalJob,
  type TerminalJobType,
} from '../../domain/settlement';
import { chainJobId } from '../../infra/job-ids';

/** Terminal job event -> the pure decider's input; undefined for events that are not terminal. */
export function terminalJobOf(e: StarminerEvent): TerminalJob | undefined {
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
    chainJobId: chainJobId(ev.jobId),
    provider: (ev.placement?.provider ?? '').toLowerCase(),
    gpuSeconds: BigInt(ev.usage?.gpuSeconds || '0'),
    failure,
  };
}

/**
 * Consumer handler of starminer.job.v1 for the settlement signer: records what to do for a finished
 * job, once per job, in the consumer's transaction (so with its inbox row). Nothing is sent here:
 * the signer sends from the recorded intent, after checking the chain, so a redelivered event, a
 * second terminal event of one job, or a restart never leads to a second transaction.
 */
export class RecordSettlementIntentHandler {
  private readonly s: string;

  constructor(schema: string) {
    this.s = quoteSchema(schema);
  }

  async handle(env: EventEnvelope<StarminerEvent>, tx: Tx): Promise<void> {
    const job = terminalJobOf(env.event);
    if (!job) return;
    const action = decideSettlement(job);
    await tx.query(
      `INSERT INTO ${this.s}.settlement_intents (job_id, service_job_id, action, provider, gpu_seconds, status, source_event_id)
       VALUES ($1, $2, $3, $4, $5, 'pending', $6) ON CONFLICT (job_id) DO NOTHING`,
      [
        job.chainJobId,
        (env.event as { jobId: string }).jobId,
        action.kind,
        action.kind === 'settle' ? action.provider : null,
        action.kind === 'settle' ? action.gpuSeconds.toString() : null,
        env.eventId,
      ],
    );
  }
}
