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
