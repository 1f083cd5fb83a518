import { type EnvVar, oneOf, str, url } from './env-vars';

// Variables several services share, defined once so each says the same thing about what it
// accepts: Kafka, the chain, the deployments file and signing keys.

/** Kafka bootstrap servers: a comma-separated host:port list. */
export function kafkaBrokers(): EnvVar<string> {
  return str({
    pattern: /^[^,\s]+:\d+(,[^,\s]+:\d+)*$/,
    describe: 'a comma-separated host:port list',
  });
}

/** A Kafka consumer group id (tests give each run its own). */
export function consumerGroup(fallback: string): EnvVar<string> {
  return str({
    default: fallback,
    pattern: /^[A-Za-z0-9._-]+$/,
    describe: 'a consumer group id of letters, digits, ".", "_" and "-"',
  });
}

/** JSON-RPC endpoint of the EVM node. */
export function chainRpcUrl(opts: { default?: string } = {}): EnvVar<string> {
  return url({ protocols: ['http', 'https'], ...opts });
}

/** The deployments file the contracts' deploy command writes (chain id, addresses, start block). */
export function deploymentsFile(opts: { default?: string } = {}): EnvVar<string> {
  return str({
    ...opts,
    describe: 'path of the deployments JSON written by `npm run deploy -w @starminer/contracts`',
  });
}

/**
 * A 0x-prefixed 32-byte hex private key. Its value, well-formed or not, never reaches a log or
 * an error message. A default is for local chains only (the services refuse dev keys elsewhere).
 */
export function privateKey(opts: { default?: string; role: string }): EnvVar<string> {
  const inner = str({ default: opts.default, pattern: /^0x[0-9a-fA-F]{64}$/ });
  const fallback = opts.default === undefined ? '' : ' (default: the local-chain dev key)';
  return {
    ...inner,
    accepted: `the ${opts.role} key: a 0x-prefixed 32-byte hex private key${fallback}`,
    redact: () => '(redacted)',
  };
}

/** Optional text: unset or empty is ''. */
function optionalText(opts: {
  accepted: string;
  pattern?: RegExp;
  secret?: boolean;
}): EnvVar<string> {
  return {
    accepted: `${opts.accepted} (default: none)`,
    ...(opts.secret ? { redact: () => '(redacted)' } : {}),
    parse: (raw) => {
      if (!raw) return { ok: true, value: '' };
      if (opts.pattern && !opts.pattern.test(raw))
        return { ok: false, problem: 'has the wrong form' };
      return { ok: true, value: raw };
    },
  };
}

/**
 * How a service reaches the event backbone: the brokers, the deployment's namespace on them
 * (every topic and consumer group name starts with KAFKA_TOPIC_PREFIX, so deployments sharing
 * a broker never read each other's topics or join each other's groups) and the service's SASL
 * principal, whose broker ACLs say which topics it may write.
 */
export function kafkaConfigSchema() {
  return {
    KAFKA_BROKERS: kafkaBrokers(),
    KAFKA_TOPIC_PREFIX: optionalText({
      accepted: "the deployment's topic and group prefix: letters, digits, '.', '_' and '-'",
      pattern: /^[A-Za-z0-9._-]{1,100}$/,
    }),
    KAFKA_SASL_MECHANISM: oneOf(
      ['none', 'plain', 'scram-sha-256', 'scram-sha-512'] as const,
      'none',
    ),
    KAFKA_USERNAME: optionalText({ accepted: "the service's SASL principal on the broker" }),
    KAFKA_PASSWORD: optionalText({ accepted: 'its SASL password', secret: true }),
    /** TLS to the brokers (production: SASL_SSL listeners), verified against KAFKA_TLS_CA_FILE or the system's CAs. */
    KAFKA_TLS: oneOf(['true', 'false'] as const, 'false'),
    KAFKA_TLS_CA_FILE: optionalText({ accepted: "path of the brokers' CA certificate (PEM)" }),
  };
}

/** The validated Kafka variables (`kafkaConfigSchema`). */
export interface KafkaConnectionConfig {
  KAFKA_BROKERS: string;
  KAFKA_TOPIC_PREFIX: string;
  KAFKA_SASL_MECHANISM: 'none' | 'plain' | 'scram-sha-256' | 'scram-sha-512';
  KAFKA_USERNAME: string;
  KAFKA_PASSWORD: string;
  KAFKA_TLS: 'true' | 'false';
  KAFKA_TLS_CA_FILE: string;
}

/** Options of the service's Kafka bus (`new KafkaJsBus(kafkaBusOptions(config, 'pricing'))`). */
export function kafkaBusOptions(config: KafkaConnectionConfig, clientId: string) {
  const mechanism = config.KAFKA_SASL_MECHANISM;
  return {
    clientId,
    brokers: config.KAFKA_BROKERS.split(','),
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    ...(config.KAFKA_TLS === 'true'
      ? { tls: config.KAFKA_TLS_CA_FILE ? { caFile: config.KAFKA_TLS_CA_FILE } : {} }
      : {}),
    ...(mechanism === 'none'
      ? {}
      : {
          sasl: { mechanism, username: config.KAFKA_USERNAME, password: config.KAFKA_PASSWORD },
        }),
  };
}

/** A SASL mechanism needs a principal: the issues to report when it has none. */
export function kafkaCredentialIssues(
  env: Readonly<Record<string, string | undefined>>,
): Array<{ name: string; value: undefined; problem: string; accepted: string }> {
  const mechanism = env.KAFKA_SASL_MECHANISM;
  if (!mechanism || mechanism === 'none') return [];
  return (['KAFKA_USERNAME', 'KAFKA_PASSWORD'] as const)
    .filter((name) => !env[name])
    .map((name) => ({
      name,
      value: undefined,
      problem: `is required with KAFKA_SASL_MECHANISM=${mechanism}`,
      accepted: name === 'KAFKA_USERNAME' ? "the service's SASL principal" : 'its SASL password',
    }));
}
