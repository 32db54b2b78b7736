// The simulator's `latest` action id: one row in the database, shared by every replica.
import type { Queryable } from "../db.ts";

/** The last recorded value, or -1 before any was recorded. */
export async function getLatest(db: Queryable): Promise<number> {
  const [row] = await db.query<{ value: string | number | bigint }>("latest/get");
  return row ? Number(row.value) : -1;
}

export async function setLatest(db: Queryable, value: number): Promise<void> {
  await db.query("latest/set", [value]);
}
