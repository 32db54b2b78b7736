// Timelines that cost what changed (docs/performance.md, section 11).
//
// The first page of a timeline is fully determined by the ids of the messages it shows: a message's
// text, date and author never change, nor do usernames and emails, and flagging or unflagging takes a
// message out of the list or puts it back. So a request first reads those ids (a short index scan: no
// texts, no join, no rendering) and reuses what was rendered from the same ids; it renders only when
// they differ. The ids are read after the request arrived, on every request, so a replica shows a
// message as soon as the write that made it was acknowledged, whichever replica took it.
import type { Queryable } from "../db.ts";
import type { User } from "./users.ts";

// Keys asked for once that are remembered: more than the pages the budgets hold (the web's 8 MB holds
// about 8,000 compressed profiles), so that a page asked for twice among that many others is kept.
// Cleared all at once at 4,096, a crowd of 5,000 random profiles at course scale kept being forgotten
// between their first and second request, and the bench's profiles stayed mostly rendered.
export const SEEN_LIMIT = 16_384;

interface Entry<V> {
  ids: string;
  value: V;
  bytes: number;
}

/**
 * What was rendered for each timeline, with the ids it was rendered from; least recently used entries
 * go first once the total passes the budget (what `sizeOf` says, about bytes). A page
 * is worth keeping from its second request on: keeping pages that are asked for once (a visitor going
 * through random profiles) and dropped unused cost 25 % more CPU per request than not keeping them.
 */
export class RenderCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  /** Keys asked for once lately (`wanted`), the oldest forgotten first. */
  private readonly seen = new Set<string>();
  private total = 0;
  hits = 0;
  misses = 0;

  constructor(
    private readonly budget: number,
    private readonly sizeOf: (value: V) => number,
  ) {}

  /**
   * Whether `key` is worth keeping: it is kept, or it was asked for lately. The first time it is not
   * worth it, and the key is remembered.
   */
  wanted(key: string): boolean {
    if (this.entries.has(key) || this.seen.delete(key)) return true;
    // A Set iterates in insertion order: its first key is the one remembered longest.
    if (this.seen.size >= SEEN_LIMIT) this.seen.delete(this.seen.values().next().value as string);
    this.seen.add(key);
    return false;
  }

  /** Whether `key` is kept or was asked for lately (as `wanted` says), without remembering it. */
  asked(key: string): boolean {
    return this.entries.has(key) || this.seen.has(key);
  }

  /** Whether anything is kept for `key`, rendered from whatever ids. */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The value rendered for `key` from exactly these ids, or undefined. */
  get(key: string, ids: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.ids !== ids) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Most recently used last: Map keeps insertion order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, ids: string, value: V): V {
    this.delete(key);
    this.seen.delete(key);
    const bytes = this.sizeOf(value) + ids.length + key.length;
    if (bytes > this.budget) return value;
    this.entries.set(key, { ids, value, bytes });
    this.total += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.total <= this.budget) break;
      this.entries.delete(oldest);
      this.total -= entry.bytes;
    }
    return value;
  }

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.total;
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.total -= entry.bytes;
  }
}

/** Rows' ids as PostgreSQL writes an integer array (`{9,8,7}`): what the ids queries answer for them. */
export function idsText(rows: readonly { id: number }[]): string {
  return `{${rows.map((r) => r.id).join(",")}}`;
}

/** The ids of the newest `limit` unflagged messages of everyone, as text (`{9,8,7}`). */
export async function publicIds(db: Queryable, limit: number): Promise<string> {
  const [row] = await db.query<{ ids: string }>("messages/public_ids", [limit]);
  return row?.ids ?? "{}";
}

/** The users of these names and the ids of their newest `limit` unflagged messages, by name; unknown names are absent. */
export async function userPages(
  db: Queryable,
  usernames: string[],
  limit: number,
): Promise<Map<string, { user: User; ids: string }>> {
  const rows = await db.query<User & { ids: string }>("users/pages_by_name", [usernames, limit]);
  return new Map(rows.map(({ ids, ...user }) => [user.username, { user, ids }]));
}
