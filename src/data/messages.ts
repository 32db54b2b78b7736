// Messages: posting and the three timelines, paged backwards by a keyset cursor.
import type { Queryable } from "../db.ts";

export interface Message {
  id: number;
  text: string;
  pub_date: Date;
  username: string;
  email: string;
}

export const MESSAGE_MAX = 1000;
export const PAGE_SIZE = 30;

export function messageError(text: string | undefined): string | undefined {
  if (!text?.trim()) return "You have to enter a message";
  if (text.length > MESSAGE_MAX) return `A message can have at most ${MESSAGE_MAX} characters`;
  // PostgreSQL text cannot hold NUL.
  if (text.includes("\u0000")) return "A message cannot contain NUL characters";
  return undefined;
}

export async function postMessage(db: Queryable, authorId: number, text: string): Promise<number> {
  const [row] = await db.query<{ id: number }>("messages/insert", [authorId, text]);
  return row?.id as number;
}

/** Newest unflagged messages of everyone, older than the message `before` when given. */
export function publicTimeline(db: Queryable, limit: number, before?: number): Promise<Message[]> {
  return before === undefined
    ? db.query<Message>("messages/public_timeline", [limit])
    : db.query<Message>("messages/public_timeline_before", [limit, before]);
}

export function userTimeline(db: Queryable, authorId: number, limit: number, before?: number): Promise<Message[]> {
  return before === undefined
    ? db.query<Message>("messages/user_timeline", [limit, authorId])
    : db.query<Message>("messages/user_timeline_before", [limit, authorId, before]);
}

/** The user's own messages and those of everyone they follow, newest first (the SQL keeps it bounded). */
export function homeTimeline(db: Queryable, userId: number, limit: number, before?: number): Promise<Message[]> {
  return before === undefined
    ? db.query<Message>("messages/home_timeline", [limit, userId])
    : db.query<Message>("messages/home_timeline_before", [limit, userId, before]);
}

/** Parses the `before` cursor of "older messages" links: a message id, or undefined. */
export function parseCursor(raw: string | null | undefined): number | undefined {
  if (!raw || !/^[1-9][0-9]{0,9}$/.test(raw)) return undefined;
  const id = Number(raw);
  return id <= 2_147_483_647 ? id : undefined;
}

/** A message as the simulator API shows it; pub_date is ISO 8601 UTC (`2026-01-31T12:34:56Z`). */
export interface ApiMessage {
  content: string;
  pub_date: string;
  user: string;
}

/** Newest unflagged messages of everyone, or of one author, in the simulator API's shape. */
export function apiMessages(db: Queryable, limit: number, authorId?: number): Promise<ApiMessage[]> {
  return authorId === undefined
    ? db.query<ApiMessage>("messages/api_public", [limit])
    : db.query<ApiMessage>("messages/api_user", [limit, authorId]);
}

/** Posts as the user of that name in one statement; undefined when there is no such user. */
export async function postMessageAs(db: Queryable, username: string, text: string): Promise<number | undefined> {
  const [row] = await db.query<{ id: number }>("messages/insert_by_name", [username, text]);
  return row?.id;
}
