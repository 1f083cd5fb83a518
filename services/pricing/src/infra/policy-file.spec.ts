import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_POLICY, PolicyError } from '../domain/policy';
import { readPolicyFile } from './policy-file';

const shipped = path.resolve(__dirname, '../../config/pricing-policy.yaml');

describe('the policy file', () => {
  it('shipped with the service states exactly the defaults', () => {
    expect(readPolicyFile(shipped)).toEqual(DEFAULT_POLICY);
  });

  it('that is missing or not YAML gives a PolicyError naming the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-'));
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(bad, 'maxStepBps: [1,\n');
    expect(() => readPolicyFile(bad)).toThrow(PolicyError);
    expect(() => readPolicyFile(bad)).toThrow(
      /invalid pricing policy .*bad.yaml:\n {2}- not valid YAML/,
    );
    expect(() => readPolicyFile(path.join(dir, 'none.yaml'))).toThrow(/cannot read the file/);
  });
});
