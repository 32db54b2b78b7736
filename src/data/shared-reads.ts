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
  type Waiter = { resolve: (value: V | undefined) => void; reject: (error: unknown) => void };
  let waiting = new Map<K, Waiter[]>();
  let running = false;
  const start = () => {
    const callers = waiting;
    waiting = new Map();
    running = true;
    fn([...callers.keys()])
      .then(
        (found) => {
          for (const [key, waiters] of callers) for (const w of waiters) w.resolve(found.get(key));
        },
        (error) => {
          for (const waiters of callers.values()) for (const w of waiters) w.reject(error);
        },
      )
      .finally(() => {
        running = false;
        if (waiting.size > 0) start();
      });
  };
  return (key) =>
    new Promise<V | undefined>((resolve, reject) => {
      const waiters = waiting.get(key);
      if (waiters === undefined) waiting.set(key, [{ resolve, reject }]);
      else waiters.push({ resolve, reject });
      if (!running) start();
    });
}
