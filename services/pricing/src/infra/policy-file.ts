import fs from 'node:fs';
import YAML from 'yaml';
import { PolicyError, parsePolicy, type PricingPolicy } from '../domain/policy';

/** Reads and validates a policy file (YAML, which includes JSON). Throws PolicyError. */
export function readPolicyFile(file: string): PricingPolicy {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new PolicyError(file, [`cannot read the file: ${(err as Error).message}`]);
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (err) {
    throw new PolicyError(file, [`not valid YAML: ${(err as Error).message}`]);
  }
  return parsePolicy(doc, file);
}
