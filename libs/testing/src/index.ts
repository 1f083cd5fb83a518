export { stackEnv, stackRunDir, requireStackVar, regionKubeconfig, stackRegions } from './stack';
export { waitUntil } from './wait';
export { deployFreshProtocol, type FreshProtocol } from './fresh-protocol';
export { waitForStartup } from './service-startup';
export { PrivateKwokRegion, writeRegionsFile, type PrivatePool } from './private-kwok';
export {
  standInDeployment,
  testBus,
  testKafkaEnv,
  testTopicPrefix,
  withScopes,
  type StandIn,
} from './test-deployment';
export { ServiceProcess, closedPort, httpGet, repoRoot, type LogLine } from './service-process';
export { ServiceReplicas, type Replica, type ReplicaLease, type Tenure } from './service-replicas';
