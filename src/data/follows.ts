// Follow relations: idempotent follow and unfollow, decided by the primary key.
import type { Queryable } from "../db.ts";

export async function follow(db: Queryable, whoId: number, whomId: number): Promise<void> {
  await db.query("follows/insert", [whoId, whomId]);
}

export async function unfollow(db: Queryable, whoId: number, whomId: number): Promise<void> {
  await db.query("follows/delete", [whoId, whomId]);
}

export async function isFollowing(db: Queryable, whoId: number, whomId: number): Promise<boolean> {
  return (await db.query("follows/exists", [whoId, whomId])).length > 0;
}

/** The names of the users whom `whoId` follows, at most `limit`. */
export async function followedNames(db: Queryable, whoId: number, limit: number): Promise<string[]> {
  return (await db.query<{ username: string }>("follows/whom", [whoId, limit])).map((r) => r.username);
}

/**
 * Follow or unfollow by names in one statement (idempotent either way). Answers which of the two users
 * exist; nothing changes unless both do.
 */
export async function setFollowByName(
  db: Queryable,
  action: "follow" | "unfollow",
  who: string,
  whom: string,
): Promise<{ who: boolean; whom: boolean }> {
  const [row] = await db.query<{ who_id: number | null; whom_id: number | null }>(
    action === "follow" ? "follows/insert_by_name" : "follows/delete_by_name",
    [who, whom],
  );
  return { who: row?.who_id != null, whom: row?.whom_id != null };
}
