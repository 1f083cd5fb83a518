/**
 * A deployment's place on a shared broker: every topic and consumer group name it uses starts
 * with its prefix, so deployments sharing a Kafka cluster (a demo and a test run, staging and
 * production) never read or join each other's. Code names topics logically
 * (`starminer.job.v1`); only the bus sees the physical names.
 */
export class TopicNamespace {
  constructor(readonly prefix: string = '') {
    if (!/^[A-Za-z0-9._-]*$/.test(prefix))
      throw new Error(`topic prefix '${prefix}' may hold only letters, digits, '.', '_' and '-'`);
  }

  topic(logical: string): string {
    return this.prefix + logical;
  }

  group(logical: string): string {
    return this.prefix + logical;
  }

  /** The logical name of a physical topic of this namespace. */
  logical(physical: string): string {
    return physical.startsWith(this.prefix) ? physical.slice(this.prefix.length) : physical;
  }
}
