#!/usr/bin/env node
// The broker ACLs of one deployment's namespace: each service's principal may write only the
// topics it owns, read only those it consumes, write its own dead-letter topics, create the
// topics it uses and join only its own consumer groups, all under the deployment's prefix.
//
//   node acls.js principals                      the principals' names, one a line
//   node acls.js list   <prefix> [service...]    the ACLs, one a line (what a broker must hold)
//   node acls.js ensure <prefix> [service...]    create those that are missing (idempotent)
//   node acls.js delete <prefix> [service...]    remove them again
//
// ensure/delete connect as the admin (a super user) given by KAFKA_BROKERS, KAFKA_SASL_MECHANISM,
// KAFKA_USERNAME and KAFKA_PASSWORD. A service's principal is User:<service>; KAFKA_PRINCIPAL
// (e.g. 'User:prod-{service}') names them otherwise.
'use strict';

const TOPICS = {
  job: 'starminer.job.v1',
  node: 'starminer.node.v1',
  market: 'starminer.market.v1',
  reputation: 'starminer.reputation.v1',
  chain: 'starminer.chain.v1',
};

/**
 * Who writes and reads what (the event catalogue's owners and each service's consumers), and the
 * consumer group each one uses. `groupPrefix`: a group per replica (the gateway's job watchers).
 */
const SERVICES = {
  'chain-indexer': { writes: ['chain'], reads: ['job'], group: 'chain-indexer.settlement' },
  registry: { writes: ['node'], reads: ['chain'], group: 'registry' },
  pricing: { writes: ['market'], reads: ['node', 'job'], group: 'pricing' },
  reputation: { writes: ['reputation'], reads: ['job', 'node', 'chain'], group: 'reputation' },
  matchmaker: { writes: ['job'], reads: ['node', 'market', 'chain'], group: 'matchmaker' },
  spillover: { writes: ['job'], reads: ['job', 'node', 'market'], group: 'spillover' },
  gateway: { writes: [], reads: ['job'], groupPrefix: 'gateway-watch-' },
};

const ADMIN = 'admin';

function principalOf(service, pattern = process.env.KAFKA_PRINCIPAL || 'User:{service}') {
  return pattern.replace('{service}', service);
}

/**
 * The ACL bindings of `services` in the namespace `prefix`: {principal, resourceType ('TOPIC' |
 * 'GROUP'), patternType ('LITERAL' | 'PREFIXED'), name, operation}, all ALLOW from any host.
 */
function bindings(prefix, services = Object.keys(SERVICES), pattern) {
  if (!/^[A-Za-z0-9._-]+$/.test(prefix))
    throw new Error(`prefix '${prefix}' must be non-empty: letters, digits, '.', '_' and '-'`);
  const out = [];
  for (const service of services) {
    const s = SERVICES[service];
    if (!s)
      throw new Error(`unknown service '${service}' (known: ${Object.keys(SERVICES).join(' ')})`);
    const principal = principalOf(service, pattern);
    const add = (resourceType, patternType, name, ...operations) => {
      for (const operation of operations) {
        const b = { principal, resourceType, patternType, name, operation };
        // A topic a service both writes and reads (spillover's job topic) needs CREATE once.
        if (!out.some((o) => describe(o) === describe(b))) out.push(b);
      }
    };
    for (const w of s.writes) add('TOPIC', 'LITERAL', prefix + TOPICS[w], 'WRITE', 'CREATE');
    for (const r of s.reads) {
      add('TOPIC', 'LITERAL', prefix + TOPICS[r], 'READ', 'CREATE');
      // Its dead-letter topics: <topic>.dlq.<group>.
      if (s.group)
        add('TOPIC', 'LITERAL', `${prefix}${TOPICS[r]}.dlq.${s.group}`, 'WRITE', 'CREATE');
      else
        add('TOPIC', 'PREFIXED', `${prefix}${TOPICS[r]}.dlq.${s.groupPrefix}`, 'WRITE', 'CREATE');
    }
    if (s.group) add('GROUP', 'LITERAL', prefix + s.group, 'READ');
    else add('GROUP', 'PREFIXED', prefix + s.groupPrefix, 'READ');
  }
  return out;
}

function describe(b) {
  return `${b.principal} ALLOW ${b.operation} ${b.resourceType} ${b.patternType} ${b.name}`;
}

function adminClient(env = process.env) {
  const { Kafka, logLevel } = require('kafkajs');
  if (!env.KAFKA_BROKERS) throw new Error('KAFKA_BROKERS is not set');
  const mechanism = env.KAFKA_SASL_MECHANISM;
  const kafka = new Kafka({
    clientId: 'starminer-acls',
    brokers: env.KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
    ...(mechanism && mechanism !== 'none'
      ? { sasl: { mechanism, username: env.KAFKA_USERNAME, password: env.KAFKA_PASSWORD } }
      : {}),
  });
  return kafka.admin();
}

function toKafkaJs(b) {
  const k = require('kafkajs');
  return {
    resourceType: k.AclResourceTypes[b.resourceType],
    resourceName: b.name,
    resourcePatternType: k.ResourcePatternTypes[b.patternType],
    principal: b.principal,
    host: '*',
    operation: k.AclOperationTypes[b.operation],
    permissionType: k.AclPermissionTypes.ALLOW,
  };
}

/** Creates the bindings the broker lacks; returns how many it created. */
async function ensureAcls(admin, wanted) {
  const k = require('kafkajs');
  const have = new Set();
  const { resources } = await admin.describeAcls({
    resourceType: k.AclResourceTypes.ANY,
    resourcePatternType: k.ResourcePatternTypes.ANY,
    operation: k.AclOperationTypes.ANY,
    permissionType: k.AclPermissionTypes.ALLOW,
  });
  const names = Object.fromEntries(
    ['AclResourceTypes', 'ResourcePatternTypes', 'AclOperationTypes'].map((t) => [
      t,
      Object.fromEntries(Object.entries(k[t]).map(([n, v]) => [v, n])),
    ]),
  );
  for (const r of resources)
    for (const a of r.acls)
      if (a.host === '*')
        have.add(
          describe({
            principal: a.principal,
            resourceType: names.AclResourceTypes[r.resourceType],
            patternType: names.ResourcePatternTypes[r.resourcePatternType],
            name: r.resourceName,
            operation: names.AclOperationTypes[a.operation],
          }),
        );
  const missing = wanted.filter((b) => !have.has(describe(b)));
  if (missing.length > 0) await admin.createAcls({ acl: missing.map(toKafkaJs) });
  return missing.length;
}

/** Deletes the bindings; returns how many the broker held. */
async function deleteAcls(admin, bindingsToDelete) {
  if (bindingsToDelete.length === 0) return 0;
  const { filterResponses } = await admin.deleteAcls({ filters: bindingsToDelete.map(toKafkaJs) });
  return filterResponses.reduce((n, r) => n + (r.matchingAcls?.length ?? 0), 0);
}

async function main(argv) {
  const [cmd, prefix, ...services] = argv;
  const chosen = services.length > 0 ? services : undefined;
  switch (cmd) {
    case 'principals':
      for (const s of [ADMIN, ...Object.keys(SERVICES)]) console.log(s);
      return;
    case 'list':
      for (const b of bindings(prefix ?? '', chosen)) console.log(describe(b));
      return;
    case 'ensure':
    case 'delete': {
      const wanted = bindings(prefix ?? '', chosen);
      const admin = adminClient();
      await admin.connect();
      try {
        if (cmd === 'ensure') {
          const created = await ensureAcls(admin, wanted);
          console.error(
            `kafka ACLs of '${prefix}': ${created} created, ${wanted.length - created} present`,
          );
        } else {
          const deleted = await deleteAcls(admin, wanted);
          console.error(`kafka ACLs of '${prefix}': ${deleted} deleted`);
        }
      } finally {
        await admin.disconnect();
      }
      return;
    }
    default:
      throw new Error('usage: acls.js principals | list|ensure|delete <prefix> [service...]');
  }
}

module.exports = {
  TOPICS,
  SERVICES,
  ADMIN,
  bindings,
  describe,
  principalOf,
  ensureAcls,
  deleteAcls,
};

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
