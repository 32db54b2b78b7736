// Signed-in sessions kept in the database: the cookie names one, every signed-in request checks it is
// still there, and signing out deletes it, on whichever replica; expired rows are deleted now and then.
import { randomBytes } from "node:crypto";
import type { Queryable } from "../db.ts";

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

/** True while session `id` of `userId` exists and has not expired. */
export async function sessionAlive(db: Queryable, id: string, userId: number): Promise<boolean> {
  const rows = await db.query("sessions/alive", [id, userId]);
  return rows.length > 0;
}

/** Ends one session: a copy of its cookie is no longer signed in anywhere. */
export async function endSession(db: Queryable, id: string): Promise<void> {
  await db.query("sessions/delete", [id]);
}
