import { type EnvVar, str, url } from './env-vars';

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
