import { type ApiError } from '../domain/errors';
import { describeTemplate, templateSummaries } from './templates';

describe('templates', () => {
  it('lists the latest version of each template, without its parameters', () => {
    const list = templateSummaries();
    expect(list.map((t) => t.name).sort()).toEqual([
      'llm-finetune',
      'stable-diffusion',
      'unreal-render',
    ]);
    expect(list.every((t) => !('parameters' in t))).toBe(true);
  });

  it('describes one template with its parameters and every version it has', () => {
    const t = describeTemplate('unreal-render', undefined);
    expect(t).toMatchObject({ name: 'unreal-render', jobClass: 'rendering' });
    expect(t.versions).toContain(t.version);
    expect(Object.keys(t.parameters)).toEqual(expect.arrayContaining(['frameStart', 'frameEnd']));
  });

  it('answers NOT_FOUND for an unknown name or version, naming what was asked', () => {
    const asked = (name: string, version?: string) => {
      try {
        describeTemplate(name, version);
      } catch (err) {
        return err as ApiError;
      }
      throw new Error('expected NOT_FOUND');
    };
    expect(asked('nope')).toMatchObject({ code: 'NOT_FOUND', message: 'template nope not found' });
    expect(asked('unreal-render', '99.0.0').message).toBe(
      'template unreal-render@99.0.0 not found',
    );
  });
});
