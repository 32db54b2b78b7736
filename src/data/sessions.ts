// Signed-in sessions kept in the database: the cookie names one, every signed-in request checks it is
// still there, and signing out deletes it, on whichever replica; expired rows are deleted now and then.
import { randomBytes } from "node:crypto";
import type { Queryable } from "../db.ts";
import { batch } from "./shared-reads.ts";

const PURGE_EVERY_MS = 60_000;
let purgedAt = 0;

/** Starts a session of `userId` lasting `maxAgeSeconds`; returns its id (128 random bits). */
export async function createSession(db: Queryable, userId: number, maxAgeSeconds: number): Promise<string> {
  const id = randomBytes(16).toString("base64url");
  await db.query("sessions/insert", [id, userId, maxAgeSeconds]);
  if (Date.now() - purgedAt >= PURGE_EVERY_MS) {
    purgedAt = Date.now();
    await db.query("sessions/purge");
  }
  return id;
}

// The checks of each database, batched: every signed-in request checks its session, and the requests
// that arrive while one check runs share the next statement (src/data/shared-reads.ts). Keys are
// `USER_ID SESSION_ID`.
const checks = new WeakMap<Queryable, (key: string) => Promise<true | undefined>>();

function checksOf(db: Queryable) {
  let check = checks.get(db);
  if (check === undefined) {
    check = batch(async (keys: string[]) => {
      const ids: string[] = [];
      const users: number[] = [];
      for (const key of keys) {
        const space = key.indexOf(" ");
        users.push(Number(key.slice(0, space)));
        ids.push(key.slice(space + 1));
      }
      const rows = await db.query<{ id: string; user_id: number }>("sessions/alive", [ids, users]);
      return new Map(rows.map((r) => [`${r.user_id} ${r.id}`, true as const]));
    });
    checks.set(db, check);
  }
  return check;
}

/** True while session `id` of `userId` exists and has not expired. */
export async function sessionAlive(db: Queryable, id: string, userId: number): Promise<boolean> {
  return (await checksOf(db)(`${userId} ${id}`)) === true;
}

/** Ends one session: a copy of its cookie is no longer signed in anywhere. */
export async function endSession(db: Queryable, id: string): Promise<void> {
  await db.query("sessions/delete", [id]);
}
