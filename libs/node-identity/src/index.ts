// @starminer/node-identity: how a node operator claims a GPU node for a provider, and how the
// registry checks the claim. The CLI's join step and the registry share this code.
export * from './node-keys';
export * from './identity-message';
export * from './signature';
