// The login throttle: failed sign-ins per client address, counted in the database so that every
// replica sees the same counts (N replicas do not allow N times the threshold).
import type { Queryable } from "../db.ts";

/** Failed sign-ins one client address may make in one window before it gets 429. */
export const LOGIN_MAX_FAILURES = 20;
export const LOGIN_WINDOW_SECONDS = 10 * 60;
/** Ended windows are deleted at most this often per process. */
const PURGE_EVERY_MS = 60_000;

export interface LoginThrottle {
  /** Seconds until this address may try again; 0 when it may now. */
  retryAfter(address: string, now?: Date): Promise<number>;
  /** Counts one failure; the window starts at the first one. */
  fail(address: string, now?: Date): Promise<void>;
}

/** A fixed window per address that starts at its first failure; 429 from the `max`-th failure on. */
export function loginThrottle(db: Queryable, max = LOGIN_MAX_FAILURES, windowSeconds = LOGIN_WINDOW_SECONDS) {
  let purgedAt = 0;
  return {
    async retryAfter(address: string, now = new Date()): Promise<number> {
      const [row] = await db.query<{ wait: number }>("throttle/retry_after", [address, max, windowSeconds, now]);
      return row ? Math.max(1, row.wait) : 0;
    },
    async fail(address: string, now = new Date()): Promise<void> {
      await db.query("throttle/fail", [address, windowSeconds, now]);
      // The table holds only addresses that failed within one window: the rest are deleted now and then.
      if (now.getTime() - purgedAt >= PURGE_EVERY_MS) {
        purgedAt = now.getTime();
        await db.query("throttle/purge", [now, windowSeconds]);
      }
    },
  } satisfies LoginThrottle;
}
