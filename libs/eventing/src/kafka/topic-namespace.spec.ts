import { TopicNamespace } from './topic-namespace';

describe("a deployment's topic namespace", () => {
  it('prefixes topics and consumer groups, and maps a physical topic back to its logical name', () => {
    const ns = new TopicNamespace('demo.');
    expect(ns.topic('starminer.job.v1')).toBe('demo.starminer.job.v1');
    expect(ns.group('matchmaker')).toBe('demo.matchmaker');
    expect(ns.logical('demo.starminer.job.v1')).toBe('starminer.job.v1');
  });

  it('leaves names as they are without a prefix', () => {
    const ns = new TopicNamespace();
    expect(ns.topic('starminer.job.v1')).toBe('starminer.job.v1');
    expect(ns.logical('starminer.job.v1')).toBe('starminer.job.v1');
  });

  it('refuses a prefix Kafka would not accept in a topic name, saying what is accepted', () => {
    expect(() => new TopicNamespace('demo/')).toThrow(
      "topic prefix 'demo/' may hold only letters, digits, '.', '_' and '-'",
    );
  });
});
