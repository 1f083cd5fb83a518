import path from 'node:path';
import { DEFAULT_MODEL } from '../domain/model-config';
import { readModelFile } from './model-file';

describe('readModelFile', () => {
  it('reads the shipped model file as exactly the defaults', () => {
    expect(readModelFile(path.resolve(__dirname, '../../config/reputation-model.yaml'))).toEqual(
      DEFAULT_MODEL,
    );
  });

  it('names the file when it cannot be read', () => {
    expect(() => readModelFile('/nonexistent/model.yaml')).toThrow(
      'invalid reputation model /nonexistent/model.yaml',
    );
  });
});
