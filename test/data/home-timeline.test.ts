import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { homeTimeline, type Message } from "../../src/data/messages.ts";
import { type TestDb, testDb } from "../helpers.ts";

// The per-author top-N form (sql/messages/home_timeline*.sql) against the plain definition computed
// here: the user's and the followed authors' unflagged messages, newest first, ties by id.
describe("[data] home timeline", () => {
  let store: TestDb;
  const expected: { id: number; author: number; at: number }[] = [];
  const me = 1;

  beforeAll(async () => {
    store = await testDb();
    const db = store.db;
    await db.exec(`
      INSERT INTO users (username, email, pw_hash)
      SELECT 'home' || i, 'home' || i || '@example.org', 'x' FROM generate_series(1, 6) i;
      INSERT INTO follows (who_id, whom_id) VALUES (1, 2), (1, 3), (1, 4), (5, 6), (2, 6);
    `);
    // 40 messages per author, some sharing a timestamp (ties broken by id), every seventh flagged.
    const rows: string[] = [];
    let id = 0;
    for (let n = 0; n < 40; n++) {
      for (let author = 1; author <= 6; author++) {
        id++;
        const at = Date.UTC(2026, 0, 1) + ((n * 7 + author * 13) % 97) * 60_000;
        const flagged = id % 7 === 0;
        rows.push(`(${author}, 'm${id}', to_timestamp(${at / 1000}), ${flagged})`);
        if (!flagged && author <= 4) expected.push({ id, author, at });
      }
    }
    await db.exec(`INSERT INTO messages (author_id, text, pub_date, flagged) VALUES ${rows.join(", ")}`);
    expected.sort((a, b) => b.at - a.at || b.id - a.id);
  });

  afterAll(() => store.close());

  test("[data] homeTimeline returns the newest of the user and the followed authors, unflagged, in order", async () => {
    const rows = await homeTimeline(store.db, me, 31);
    expect(rows).toHaveLength(31);
    expect(rows.map((m) => m.id)).toEqual(expected.slice(0, 31).map((e) => e.id));
    expect(rows[0]?.username).toBe(`home${expected[0]?.author}`);
    expect(rows[0]?.email).toBe(`home${expected[0]?.author}@example.org`);
    expect(rows[0]?.text).toBe(`m${expected[0]?.id}`);
  });

  test("[data] homeTimeline pages backwards by cursor through every message exactly once", async () => {
    const seen: Message[] = [];
    let before: number | undefined;
    for (let page = 0; page < 100; page++) {
      const rows = await homeTimeline(store.db, me, 7, before);
      if (rows.length === 0) break;
      seen.push(...rows);
      before = rows[rows.length - 1]?.id;
    }
    expect(seen.map((m) => m.id)).toEqual(expected.map((e) => e.id));
  });

  test("[data] homeTimeline of a user who follows nobody shows their own messages only", async () => {
    const rows = await homeTimeline(store.db, 6, 100);
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((m) => m.username))).toEqual(new Set(["home6"]));
  });
});
