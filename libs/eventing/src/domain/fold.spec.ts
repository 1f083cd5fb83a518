import { fold } from './fold';

type Ev = { type: 'Added'; n: number } | { type: 'Reset' };

describe('fold', () => {
  const evolve = (s: number, e: Ev) => (e.type === 'Added' ? s + e.n : 0);

  it('given no events, returns the initial state', () => {
    expect(fold(evolve, 7)([])).toBe(7);
  });

  it('applies events in order', () => {
    expect(
      fold(evolve, 0)([{ type: 'Added', n: 2 }, { type: 'Reset' }, { type: 'Added', n: 5 }]),
    ).toBe(5);
  });
});
