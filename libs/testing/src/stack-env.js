// Endpoints of the local stack started by deploy/local (plain JS: jest's globalSetup loads it untransformed).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

function runDir() {
  return process.env.STARMINER_RUN || path.join(process.env.TMPDIR || os.tmpdir(), 'starminer-run');
}

/** Reads KEY=VALUE lines from deploy/local's stack.env; variables already set in the environment win. */
function readStackEnv() {
  const file = path.join(runDir(), 'stack.env');
  const vars = {};
  if (fs.existsSync(file)) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
      if (m) vars[m[1]] = m[2];
    }
  }
  for (const key of Object.keys(vars)) {
    if (process.env[key]) vars[key] = process.env[key];
  }
  return vars;
}

module.exports = { readStackEnv, runDir };
