// eslint-disable-next-line @typescript-eslint/no-require-imports
const { readStackEnv, runDir } = require('./stack-env') as {
  readStackEnv: () => Record<string, string>;
  runDir: () => string;
};

import { testTopicPrefix } from './test-deployment';

/** Directory of the running stack's data, logs and stack.env (STARMINER_RUN). */
export function stackRunDir(): string {
  return runDir();
}

/**
 * Endpoints of the running local stack (deploy/local's stack.env, overridden by the environment),
 * with this test file's own Kafka namespace: services started with it never share a topic or a
 * consumer group with a running deployment.
 */
export function stackEnv(): Record<string, string> {
  return { ...readStackEnv(), KAFKA_TOPIC_PREFIX: testTopicPrefix() };
}

export function requireStackVar(name: string): string {
  const value = stackEnv()[name];
  if (!value) throw new Error(`${name} is not set: start the local stack with 'make up'`);
  return value;
}

/** Region names of the running stack, in the regions file's order. */
export function stackRegions(): string[] {
  return requireStackVar('STARMINER_REGIONS').split(',').filter(Boolean);
}

/** Path of the kubeconfig for one region's control plane. */
export function regionKubeconfig(region: string): string {
  return requireStackVar(`KUBECONFIG_${region.toUpperCase().replace(/-/g, '_')}`);
}
