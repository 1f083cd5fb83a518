export { stackEnv, requireStackVar, regionKubeconfig, stackRegions } from './stack';
export { waitUntil } from './wait';
