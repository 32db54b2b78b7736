// Reads shared by concurrent callers: a crowd of requests asking the database the same thing, or the
// same kind of thing, costs one statement per round trip instead of one each, and every caller still
// gets an answer read after it asked (so it sees every write acknowledged before it asked).

/**
 * `fn` run at most once at a time; callers that arrive while it runs share the next run, which starts
 * when the current one ends. Every caller's answer thus comes from a run that started after it called,
 * and sees every write committed before the call (a run already under way might not), while a crowd of
 * concurrent callers costs one query per round trip instead of one each.
 */
export function coalesce<T>(fn: () => Promise<T>): () => Promise<T> {
  const byKey = coalesceBy((_key: undefined) => fn());
  return () => byKey(undefined, undefined);
}

/**
 * `coalesce` for each key: calls for one key share runs as `coalesce` says, keys run independently. A
 * run gets the `arg` of the caller that started it: the callers of one key must be content with any of
 * theirs (the same page asked for by several requests).
 */
export function coalesceBy<K, A, T>(fn: (key: K, arg: A) => Promise<T>): (key: K, arg: A) => Promise<T> {
  const running = new Map<K, Promise<T>>();
  const queued = new Map<K, Promise<T>>();
  const start = (key: K, arg: A): Promise<T> => {
    const run = fn(key, arg).finally(() => {
      if (running.get(key) === run) running.delete(key);
    });
    running.set(key, run);
    return run;
  };
  return (key, arg) => {
    const current = running.get(key);
    if (current === undefined) return start(key, arg);
    let next = queued.get(key);
    if (next === undefined) {
      next = current
        .catch(() => undefined)
        .then(() => {
          queued.delete(key);
          return start(key, arg);
        });
      queued.set(key, next);
    }
    return next;
  };
}

/**
 * `fn` run on a batch of keys at most once at a time: the keys asked for while it runs wait for the next
 * run, which starts when the current one ends and takes all of them. As with `coalesce`, every caller's
 * answer comes from a run that started after it asked; a crowd of callers asking for different keys
 * costs one statement per round trip instead of one each. A failed run fails its own callers only.
 */
export function batch<K, V>(fn: (keys: K[]) => Promise<Map<K, V>>): (key: K) => Promise<V | undefined> {
  const byGroup = batchBy((_group: undefined, keys: K[]) => fn(keys));
  return (key) => byGroup(undefined, key);
}

/**
 * `batch` for each group: the keys of one group share runs as `batch` says (`fn` gets the group and its
 * keys), groups run independently; a group with nothing running or waiting is forgotten.
 */
export function batchBy<G, K, V>(
  fn: (group: G, keys: K[]) => Promise<Map<K, V>>,
): (group: G, key: K) => Promise<V | undefined> {
  type Waiter = { resolve: (value: V | undefined) => void; reject: (error: unknown) => void };
  // Per group: the keys waiting for the next run, and whether a run is under way.
  const groups = new Map<G, { waiting: Map<K, Waiter[]>; running: boolean }>();
  const start = (group: G, state: { waiting: Map<K, Waiter[]>; running: boolean }) => {
    const callers = state.waiting;
    state.waiting = new Map();
    state.running = true;
    fn(group, [...callers.keys()])
      .then(
        (found) => {
          for (const [key, waiters] of callers) for (const w of waiters) w.resolve(found.get(key));
        },
        (error) => {
          for (const waiters of callers.values()) for (const w of waiters) w.reject(error);
        },
      )
      .finally(() => {
        state.running = false;
        if (state.waiting.size > 0) start(group, state);
        else groups.delete(group);
      });
  };
  return (group, key) =>
    new Promise<V | undefined>((resolve, reject) => {
      let state = groups.get(group);
      if (state === undefined) {
        state = { waiting: new Map(), running: false };
        groups.set(group, state);
      }
      const waiters = state.waiting.get(key);
      if (waiters === undefined) state.waiting.set(key, [{ resolve, reject }]);
      else waiters.push({ resolve, reject });
      if (!state.running) start(group, state);
    });
}
