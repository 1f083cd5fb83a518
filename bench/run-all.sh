#!/usr/bin/env bash
# Runs every benchmark: the contracts' gas report and each bench/*.ts. Each prints its figures
# and writes JSON to bench/results/. Benchmarks are run on demand, never as tests.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/results
echo "== gas report"
npm run --silent gas -w @starminer/contracts
for f in bench/*.ts; do
  [ -e "$f" ] || continue
  echo "== $f"
  npx tsx "$f"
done
