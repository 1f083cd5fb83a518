import fs from 'node:fs';
import YAML from 'yaml';
import { ModelConfigError, parseModel, type ReputationModel } from '../domain/model-config';

/** Reads and validates the model settings file (YAML, which includes JSON). Throws ModelConfigError. */
export function readModelFile(file: string): ReputationModel {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ModelConfigError(file, [`cannot read the file: ${(err as Error).message}`]);
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (err) {
    throw new ModelConfigError(file, [`not valid YAML: ${(err as Error).message}`]);
  }
  return parseModel(doc, file);
}
