// npm run compare -w @starminer/pricing -- <event-log.jsonl> [--policy FILE]
// Replays one recorded signal log under every pricing strategy and prints revenue, fill rate and
// price volatility for each.
import fs from 'node:fs';
import { DEFAULT_POLICY } from '../domain/policy';
import { scoreStrategy } from '../domain/market-metrics';
import { decodeSignalLog } from '../domain/signal-log-codec';
import { STRATEGIES } from '../domain/strategy';
import { readPolicyFile } from '../infra/policy-file';
import { formatAgpu, percent } from './format';

const args = process.argv.slice(2);
const policyAt = args.indexOf('--policy');
const policyFile = policyAt >= 0 ? args[policyAt + 1] : undefined;
const file = args.find((a, i) => !a.startsWith('--') && !(policyAt >= 0 && i === policyAt + 1));
if (!file) {
  console.error(
    'usage: npm run compare -w @starminer/pricing -- <event-log.jsonl> [--policy FILE]',
  );
  process.exit(2);
}
try {
  const policy = policyFile ? readPolicyFile(policyFile) : DEFAULT_POLICY;
  const log = decodeSignalLog(fs.readFileSync(file, 'utf8'), file);
  console.log(`${log.length} log entries from ${file}, policy ${policy.name}`);
  console.log(
    'strategy              jobs  priced out  fill rate   revenue (AGPU)   volatility/interval  price changes',
  );
  for (const make of Object.values(STRATEGIES)) {
    const r = scoreStrategy(make(policy), log);
    console.log(
      `${r.strategy.padEnd(20)} ${String(r.jobs).padStart(5)} ${String(r.pricedOut).padStart(11)} ${percent(r.fillRateBps).padStart(10)} ${formatAgpu(r.revenue, 2).padStart(16)} ${(Number(r.volatilityPpm) / 10_000).toFixed(3).padStart(18)} % ${String(r.priceChanges).padStart(14)}`,
    );
  }
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
