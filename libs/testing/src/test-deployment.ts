// A test's own deployment on the shared stack. Every test file gets a Kafka namespace of its own
// (topics and consumer groups under a random prefix), so it never reads or joins a running
// demo's or another test's topics; `standInDeployment` gives tests that run no contracts a
// deployments file of addresses no chain uses, so their events carry a deployment id of their own.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Wallet } from 'ethers';
import {
  CONTRACT_NAMES,
  DEPLOYMENTS_FORMAT,
  writeDeployments,
  type Deployments,
} from '@starminer/chain';
import {
  deploymentScope,
  KafkaJsBus,
  type DeploymentScope,
  type KafkaBusConfig,
} from '@starminer/eventing';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { readStackEnv } = require('./stack-env') as { readStackEnv: () => Record<string, string> };

// Module state is per test file: jest gives each file its own module registry.
const filePrefix = `t${randomBytes(4).toString('hex')}.`;

/**
 * This test file's topic and consumer-group prefix. A test uses another deployment's topics only
 * when told to, by setting KAFKA_TOPIC_PREFIX in its environment.
 */
export function testTopicPrefix(): string {
  return process.env.KAFKA_TOPIC_PREFIX ?? filePrefix;
}

/** Kafka variables for services under test: the stack's brokers and credentials, the file's namespace. */
export function testKafkaEnv(): Record<string, string> {
  const env = readStackEnv();
  const out: Record<string, string> = { KAFKA_TOPIC_PREFIX: testTopicPrefix() };
  for (const k of ['KAFKA_BROKERS', 'KAFKA_SASL_MECHANISM', 'KAFKA_USERNAME', 'KAFKA_PASSWORD'])
    if (env[k]) out[k] = env[k];
  return out;
}

/** A bus on the stack's Kafka in this test file's namespace (or `topicPrefix`). */
export function testBus(
  clientId: string,
  opts: { topicPrefix?: string; logger?: KafkaBusConfig['logger'] } = {},
): KafkaJsBus {
  const env = testKafkaEnv();
  if (!env.KAFKA_BROKERS)
    throw new Error("KAFKA_BROKERS is not set: start the local stack with 'make up'");
  const mechanism = env.KAFKA_SASL_MECHANISM;
  return new KafkaJsBus({
    clientId,
    brokers: env.KAFKA_BROKERS.split(','),
    topicPrefix: opts.topicPrefix ?? env.KAFKA_TOPIC_PREFIX,
    ...(mechanism && mechanism !== 'none'
      ? {
          sasl: {
            mechanism: mechanism as 'plain',
            username: env.KAFKA_USERNAME ?? '',
            password: env.KAFKA_PASSWORD ?? '',
          },
        }
      : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
}

export interface StandIn {
  deployments: Deployments;
  /** Its deployments file (DEPLOYMENTS_FILE of the services under test). */
  file: string;
  deploymentId: string;
  /** The origin and scope of `service` in this deployment, to publish as that service would. */
  as(service: string, regions?: Iterable<string>): DeploymentScope;
}

/**
 * A deployments file of random contract addresses on the stack's chain id: for tests whose
 * services read no contract but must stamp and check a deployment of their own.
 */
export function standInDeployment(chainId = 31337): StandIn {
  const address = () => Wallet.createRandom().address;
  const deployments: Deployments = {
    format: DEPLOYMENTS_FORMAT,
    chainId,
    deploymentBlock: 0,
    contracts: Object.fromEntries(
      CONTRACT_NAMES.map((n) => [n, address()]),
    ) as Deployments['contracts'],
    roles: {
      deployer: address(),
      admin: address(),
      quoteSigner: address(),
      settler: address(),
      validator: address(),
      slasher: address(),
      treasury: address(),
    },
    parameters: {
      feeBps: 0,
      settlementGraceSeconds: 0,
      minStake: '0',
      unbondingDelaySeconds: 0,
      claimWindowSeconds: 0,
    },
    solcVersion: 'stand-in',
  };
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'stand-in-')), 'deployments.json');
  writeDeployments(file, deployments);
  return withScopes(deployments, file);
}

/** The scopes of a real deployment (e.g. `deployFreshProtocol`'s), as `standInDeployment` gives. */
export function withScopes(deployments: Deployments, file: string): StandIn {
  return {
    deployments,
    file,
    deploymentId: deploymentScope(deployments, { service: '' }).deploymentId,
    as: (service, regions) => deploymentScope(deployments, { service, regions }),
  };
}
