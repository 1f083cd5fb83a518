/**
 * State is a left fold of events: `evolve` must be pure and total over the
 * events it is given; unknown event types should return the state unchanged.
 */
export type Evolve<S, E> = (state: S, event: E) => S;

export function fold<S, E>(evolve: Evolve<S, E>, initial: S): (events: Iterable<E>) => S {
  return (events) => {
    let state = initial;
    for (const event of events) state = evolve(state, event);
    return state;
  };
}
