import { type Pool } from 'pg';
import {
  type DropReason,
  EventConsumer,
  type EventScope,
  type KafkaJsBus,
  type Logger,
  Topics,
  jobEvents,
  type JobEvent,
} from '@starminer/eventing';
import { type ReadinessCheck } from '@starminer/service-kit';
import { type JobUpdate, type JobWatches } from '../app/ports';
import { STATE_AFTER_EVENT } from '../domain/job-progress';

/**
 * Consumes `starminer.job.v1` with this replica's own consumer group (EventConsumer: inbox,
 * dead-letter, readiness) and fans each job event out to the streams watching that job. Only the
 * gateway's deployment's job events, each from its owning service, reach a watch: an event of
 * another deployment or producer for the same job id is dropped (and reported to `onRefused`).
 */
export class JobWatchHub implements JobWatches {
  private readonly watchers = new Map<string, Set<(u: JobUpdate) => void>>();
  private readonly consumer: EventConsumer<JobEvent>;
  private readonly bus: KafkaJsBus;

  constructor(opts: {
    pool: Pool;
    schema: string;
    /** The gateway's bus (in its deployment's namespace); the hub closes it when it stops. */
    bus: KafkaJsBus;
    groupId: string;
    scope: EventScope;
    onRefused?: (refused: { topic: string; reason: DropReason }) => void;
    logger?: Logger;
  }) {
    this.bus = opts.bus;
    this.consumer = new EventConsumer<JobEvent>({
      bus: opts.bus,
      pool: opts.pool,
      schema: opts.schema,
      groupId: opts.groupId,
      topics: [Topics.job],
      scope: opts.scope,
      onRefused: opts.onRefused,
      logger: opts.logger,
      // A watcher fans out what happens from now on; a new replica need not replay history.
      fromBeginning: false,
      registry: jobEvents,
      handler: (env) => {
        const state = STATE_AFTER_EVENT[env.event.type];
        const listeners = this.watchers.get(env.aggregateId);
        if (state && listeners)
          for (const l of listeners)
            l({
              jobId: env.aggregateId,
              eventType: env.event.type,
              state,
              occurredAt: env.occurredAt,
            });
        return Promise.resolve();
      },
    });
  }

  start(): Promise<void> {
    return this.consumer.start();
  }

  async stop(): Promise<void> {
    await this.consumer.stop();
    await this.bus.close().catch(() => undefined);
  }

  readiness(): ReadinessCheck {
    return this.consumer.readiness();
  }

  /** Calls `listener` with every later event of the job; returns the unsubscribe. */
  subscribe(jobId: string, listener: (u: JobUpdate) => void): () => void {
    const set = this.watchers.get(jobId) ?? new Set();
    set.add(listener);
    this.watchers.set(jobId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.watchers.delete(jobId);
    };
  }
}
