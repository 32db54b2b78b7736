// Moderation: flag and unflag messages (all or nothing), list messages for operators, count flagged ones.
import type { Db, Queryable } from "../db.ts";

export interface FlagResult {
  /** Ids whose state this call changed. */
  changed: number[];
  /** Ids that already were in the requested state. */
  unchanged: number[];
  /** Ids of no message; when any, nothing was changed. */
  unknown: number[];
}

/** Raised inside the transaction to roll it back when an id names no message. */
class UnknownIds extends Error {
  constructor(readonly ids: number[]) {
    super(`no message with id ${ids.join(", ")}`);
  }
}

/**
 * Sets the flagged state of the messages `ids`, in one transaction: when any id names no message,
 * nothing changes. Timelines read `flagged` on every request, so every replica hides (or shows)
 * the messages from the next request on.
 */
export async function setFlagged(db: Db, ids: readonly number[], flagged: boolean): Promise<FlagResult> {
  const wanted = [...new Set(ids)];
  try {
    return await db.transaction(async (tx) => {
      const rows = await tx.query<{ id: number; was_flagged: boolean }>(flagged ? "messages/flag" : "messages/unflag", [
        wanted,
      ]);
      const found = new Map(rows.map((r) => [r.id, r.was_flagged]));
      const unknown = wanted.filter((id) => !found.has(id));
      if (unknown.length > 0) throw new UnknownIds(unknown);
      return {
        changed: wanted.filter((id) => found.get(id) !== flagged),
        unchanged: wanted.filter((id) => found.get(id) === flagged),
        unknown: [],
      };
    });
  } catch (error) {
    if (error instanceof UnknownIds) return { changed: [], unchanged: [], unknown: error.ids };
    throw error;
  }
}

export interface ListedMessage {
  id: number;
  author: string;
  pub_date: Date;
  flagged: boolean;
  text: string;
}

export interface MessageFilter {
  /** The author's id. */
  authorId?: number;
  /** A fragment of the text, case-insensitive; `%` and `_` are plain characters. */
  contains?: string;
  /** Only flagged messages. */
  flagged?: boolean;
  limit: number;
}

/** Messages newest first, flagged or not, narrowed by the filter. */
export function listMessages(db: Queryable, filter: MessageFilter): Promise<ListedMessage[]> {
  return db.query<ListedMessage>("messages/list", [
    filter.authorId ?? null,
    filter.contains ?? null,
    filter.flagged ?? false,
    filter.limit,
  ]);
}

/** How many messages are flagged (cheap: a partial index holds only flagged messages). */
export async function countFlagged(db: Queryable): Promise<number> {
  const [row] = await db.query<{ flagged: number }>("messages/count_flagged");
  return row?.flagged ?? 0;
}
