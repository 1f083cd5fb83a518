import { type StarMinerClient } from '@starminer/sdk';
import { batch, summary } from './demo-batch';
import { toJob } from '../sdk/src/wire';
import { type DemoClient } from './demo-clients';

const clients: DemoClient[] = [1, 2, 3].map((i) => ({
  name: `client-${i}`,
  address: `0x${String(i).repeat(40)}`,
  client: {} as StarMinerClient,
}));

describe('the demo batch', () => {
  const items = batch(clients, ['us-east', 'eu-west', 'ap-south']);

  it('has at least 30 jobs over every template, urgency and region', () => {
    expect(items.length).toBeGreaterThanOrEqual(30);
    const names = new Set(items.map((i) => i.request.template!.name));
    expect([...names].sort()).toEqual(['llm-finetune', 'stable-diffusion', 'unreal-render']);
    expect(new Set(items.map((i) => i.request.urgency))).toEqual(
      new Set(['low', 'normal', 'high', 'critical']),
    );
    expect(new Set(items.map((i) => i.request.regionPreference![0]))).toEqual(
      new Set(['us-east', 'eu-west', 'ap-south']),
    );
  });

  it('never asks ap-south (24 GB GPUs only) for a 40 GB fine-tune', () => {
    const bad = items.filter(
      (i) =>
        i.request.template!.name === 'llm-finetune' &&
        i.request.regionPreference![0] === 'ap-south',
    );
    expect(bad).toEqual([]);
  });

  it('spreads the jobs over every client and scripts the expected failures', () => {
    expect(new Set(items.map((i) => i.client.name)).size).toBe(clients.length);
    const failing = items.filter((i) => i.expect === 'failed');
    expect(failing.length).toBeGreaterThan(0);
    expect(failing.every((i) => i.request.simulation?.fail === true)).toBe(true);
    expect(items.every((i) => i.request.simulation?.runtime)).toBe(true);
  });
});

describe('the demo summary', () => {
  it('has a header for every column', () => {
    const lines = summary([
      {
        item: batch(clients, ['us-east'])[0]!,
        job: {
          ...toJob({ jobId: '0190a0a0-0000-7000-8000-0000000000aa', state: 12 }),
          template: 'stable-diffusion',
        },
        settlement: undefined,
        end: 'succeeded',
        ok: true,
        why: '',
      },
    ]);
    // Every cell sits under its own header: the END column holds how the job ended.
    const at = lines[0]!.indexOf('END');
    expect(at).toBeGreaterThan(0);
    expect(lines[1]!.slice(at)).toMatch(/^succeeded /);
  });
});
