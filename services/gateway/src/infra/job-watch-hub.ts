import { type Pool } from 'pg';
import { EventConsumer, KafkaJsBus, Topics, jobEvents, type JobEvent } from '@starminer/eventing';
import { type ReadinessCheck } from '@starminer/service-kit';
import { STATE_AFTER_EVENT, type JobStateName } from '../domain/job-progress';

export interface JobUpdate {
  jobId: string;
  eventType: string;
  state: JobStateName;
  occurredAt: Date;
}

/**
 * Consumes `starminer.job.v1` with this replica's own consumer group (EventConsumer: inbox,
 * dead-letter, readiness) and fans each job event out to the streams watching that job.
 */
export class JobWatchHub {
  private readonly watchers = new Map<string, Set<(u: JobUpdate) => void>>();
  private readonly consumer: EventConsumer<JobEvent>;

  constructor(opts: { pool: Pool; schema: string; brokers: string[]; groupId: string }) {
    this.consumer = new EventConsumer<JobEvent>({
      bus: new KafkaJsBus({ clientId: opts.groupId, brokers: opts.brokers }),
      pool: opts.pool,
      schema: opts.schema,
      groupId: opts.groupId,
      topics: [Topics.job],
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

  stop(): Promise<void> {
    return this.consumer.stop();
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
