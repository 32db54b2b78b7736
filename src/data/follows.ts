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
