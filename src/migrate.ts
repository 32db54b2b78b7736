// Numbered migrations applied in order, in one transaction, under an advisory lock.
import { fillNameKeys } from "./data/users.ts";
import type { Db } from "./db.ts";
import { migrations } from "./sql.ts";

// Any constant shared by every replica; taken per transaction, released at commit.
const LOCK_KEY = 7_362_915;

/** Applies the migrations not yet recorded; safe to run twice or from several replicas at once. */
export async function migrate(db: Db): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.exec(`SELECT pg_advisory_xact_lock(${LOCK_KEY})`);
    await tx.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const applied = new Set((await tx.query<{ name: string }>("schema/applied")).map((r) => r.name));
    const done: string[] = [];
    for (const m of migrations) {
      if (applied.has(m.name)) continue;
      await tx.exec(m.sql);
      await tx.query("schema/record", [m.name]);
      done.push(m.name);
    }
    // Names need Unicode data that SQL lacks: rows without a key (before 0005, or written by an older
    // version during a rolling update) get theirs here, on every run; an index finds them at once.
    await fillNameKeys(tx);
    return done;
  });
}
