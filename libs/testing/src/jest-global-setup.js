// Integration and e2e tests need the real stack; fail early, saying how to start it.
const { readStackEnv, runDir } = require('./stack-env');

module.exports = async function globalSetup() {
  const env = readStackEnv();
  // Each test asks for the endpoints it needs (requireStackVar); here only "nothing at all" fails.
  const known = ['DATABASE_URL', 'KAFKA_BROKERS', 'CHAIN_RPC_URL', 'STARMINER_REGIONS'];
  if (!known.some((k) => env[k])) {
    throw new Error(
      `The local stack is not running (no endpoints in ${runDir()}/stack.env). ` +
        "Start it with 'make up' (or set those variables to your own endpoints), then run the tests again.",
    );
  }
};
