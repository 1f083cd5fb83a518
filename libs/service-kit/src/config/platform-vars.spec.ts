import { defineConfig } from './define-config';
import {
  consumerGroup,
  deploymentsFile,
  kafkaBrokers,
  kafkaBusOptions,
  kafkaConfigSchema,
  privateKey,
} from './platform-vars';

const KEY = `0x${'ab'.repeat(32)}`;
const parse = defineConfig('test', {
  KAFKA_BROKERS: kafkaBrokers(),
  GROUP: consumerGroup('svc'),
  DEPLOYMENTS_FILE: deploymentsFile(),
  SIGNER_KEY: privateKey({ role: 'signer', default: KEY }),
});

describe('platform variables', () => {
  it('accepts well-formed values and applies defaults', () => {
    const config = parse({ KAFKA_BROKERS: 'a:1,b:2', DEPLOYMENTS_FILE: '/x.json' });
    expect(config).toEqual({
      KAFKA_BROKERS: 'a:1,b:2',
      GROUP: 'svc',
      DEPLOYMENTS_FILE: '/x.json',
      SIGNER_KEY: KEY,
    });
  });

  it('names each bad variable and never shows a key, given or default', () => {
    let message = '';
    try {
      parse({ KAFKA_BROKERS: 'nohost', GROUP: 'a b', SIGNER_KEY: '0x1234-secret' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('KAFKA_BROKERS="nohost"');
    expect(message).toContain('a comma-separated host:port list');
    expect(message).toContain('GROUP="a b"');
    expect(message).toContain('DEPLOYMENTS_FILE');
    expect(message).toContain('the signer key: a 0x-prefixed 32-byte hex private key');
    expect(message).not.toContain('secret');
    expect(message).not.toContain(KEY.slice(2));
  });
});

describe('Kafka variables', () => {
  const kafka = defineConfig('test', kafkaConfigSchema());

  it('default to no prefix and no SASL, and build the bus options from what is given', () => {
    const plain = kafka({ KAFKA_BROKERS: 'a:1,b:2' });
    expect(kafkaBusOptions(plain, 'svc')).toEqual({
      clientId: 'svc',
      brokers: ['a:1', 'b:2'],
      topicPrefix: '',
    });
    const demo = kafka({
      KAFKA_BROKERS: 'a:1',
      KAFKA_TOPIC_PREFIX: 'demo.',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_USERNAME: 'pricing',
      KAFKA_PASSWORD: 'pw',
    });
    expect(kafkaBusOptions(demo, 'pricing')).toEqual({
      clientId: 'pricing',
      brokers: ['a:1'],
      topicPrefix: 'demo.',
      sasl: { mechanism: 'scram-sha-512', username: 'pricing', password: 'pw' },
    });
  });

  it('refuse a SASL mechanism without a principal, a bad prefix, and never show the password', () => {
    let message = '';
    try {
      kafka({
        KAFKA_BROKERS: 'a:1',
        KAFKA_TOPIC_PREFIX: 'demo/x',
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_PASSWORD: 'hunter2',
      });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('KAFKA_TOPIC_PREFIX="demo/x"');
    expect(message).toContain('KAFKA_USERNAME');
    expect(message).toContain('is required with KAFKA_SASL_MECHANISM=plain');
    expect(message).not.toContain('hunter2');
  });
});
