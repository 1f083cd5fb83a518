export { stackEnv, stackRunDir, requireStackVar, regionKubeconfig, stackRegions } from './stack';
export { waitUntil } from './wait';
