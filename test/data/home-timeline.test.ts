import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { homeTimeline, type Message } from "../../src/data/messages.ts";
import { queries } from "../../src/sql.ts";
import { type TestDb, testDb } from "../helpers.ts";

// The bounded home timeline (sql/messages/home_timeline*.sql) against the plain definition computed
// here: the user's and the followed authors' unflagged messages, newest first, ties by id. The SQL
// first looks among the newest public messages (WINDOW_PER_FOLLOW per follow, WINDOW_MAX at most,
// none below WINDOW_FROM follows, as in the SQL) and falls back to the per-author top-N when they
// hold fewer than the page: the data below makes both happen, on first pages and on later ones.
const WINDOW_PER_FOLLOW = 100;
const WINDOW_MAX = 20_000;
const WINDOW_FROM = 100;

interface Seeded {
  id: number;
  author: number;
  at: number;
  flagged: boolean;
}

/** A small deterministic generator (mulberry32), so that a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

// Authors 10–159 post throughout the time span; 160–269 are quiet (two messages each, in its oldest
// twentieth). Users 1–5 post a few messages of their own.
const ACTIVE = range(10, 159);
const QUIET = range(160, 269);
const FOLLOWS = new Map<number, number[]>([
  [1, [...ACTIVE.slice(0, 97), ...QUIET.slice(0, 3)]], // heavy: the window holds their first pages
  [2, QUIET.slice(0, 3)], // light, quiet authors only: the top-N answers
  [3, []], // nobody: their own messages
  [4, ACTIVE.slice(0, 2)], // light
  [5, [...ACTIVE, ...QUIET.slice(3, 5), 4]], // heavier: a window as large as the whole timeline
  [6, QUIET.slice(0, 100)], // heavy, quiet authors: the window falls short on the first page
]);

interface PlanNode {
  "Relation Name"?: string;
  Alias?: string;
  "Actual Loops": number;
  Plans?: PlanNode[];
}

/** How often the per-author scan (alias `x` in the SQL's lateral subquery) ran, from EXPLAIN's JSON. */
function perAuthorLoops(node: PlanNode): number {
  const own = node["Relation Name"] === "messages" && node.Alias === "x" ? node["Actual Loops"] : 0;
  return own + (node.Plans ?? []).reduce((sum, child) => sum + perAuthorLoops(child), 0);
}

describe("[data] home timeline", () => {
  let store: TestDb;
  const seeded: Seeded[] = [];
  /** Everyone's unflagged messages, newest first, ties by id: the public timeline. */
  let ordered: Seeded[] = [];

  beforeAll(async () => {
    store = await testDb();
    const rand = random(14);
    const minute = 60_000;
    const start = Date.UTC(2026, 0, 1);
    const span = 300; // minutes: about 45 messages a minute, so many share a timestamp
    const rows: Seeded[] = [];
    const add = (author: number, at: number) => rows.push({ id: 0, author, at, flagged: rand() < 0.08 });
    for (const author of ACTIVE) for (let n = 0; n < 90; n++) add(author, start + Math.floor(rand() * span) * minute);
    for (const author of QUIET) for (let n = 0; n < 2; n++) add(author, start + Math.floor(rand() * 15) * minute);
    for (const author of range(1, 5))
      for (let n = 0; n < 12; n++) add(author, start + Math.floor(rand() * span) * minute);
    // Ids in a shuffled order, so that id and time disagree and ties are broken by id, not by insertion.
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [rows[i], rows[j]] = [rows[j] as Seeded, rows[i] as Seeded];
    }
    rows.forEach((row, i) => {
      row.id = i + 1;
      seeded.push(row);
    });
    ordered = seeded.filter((m) => !m.flagged).sort((a, b) => b.at - a.at || b.id - a.id);

    const pairs = [...FOLLOWS].flatMap(([who, whom]) => whom.map((w) => `(${who}, ${w})`));
    await store.db.exec(`
      INSERT INTO users (username, email, pw_hash)
      SELECT 'home' || i, 'home' || i || '@example.org', 'x' FROM generate_series(1, 270) i;
      INSERT INTO follows (who_id, whom_id) VALUES ${pairs.join(", ")};
      INSERT INTO messages (author_id, text, pub_date, flagged) VALUES ${seeded
        .map((m) => `(${m.author}, 'm${m.id}', to_timestamp(${m.at / 1000}), ${m.flagged})`)
        .join(", ")};
      ANALYZE;
    `);
  });

  afterAll(() => store.close());

  function authors(user: number): Set<number> {
    return new Set([user, ...(FOLLOWS.get(user) ?? [])]);
  }

  /** The plain definition: the user's timeline older than the message `before`, newest first. */
  function definition(user: number, before?: number): Seeded[] {
    const mine = authors(user);
    const cursor = seeded.find((m) => m.id === before);
    return ordered.filter(
      (m) =>
        mine.has(m.author) && (cursor === undefined || m.at < cursor.at || (m.at === cursor.at && m.id < cursor.id)),
    );
  }

  /** Whether the SQL's first look (the newest public messages before the cursor) holds the page. */
  function windowHolds(user: number, limit: number, before?: number): boolean {
    const mine = authors(user);
    const cursor = seeded.find((m) => m.id === before);
    const older = ordered.filter(
      (m) => cursor === undefined || m.at < cursor.at || (m.at === cursor.at && m.id < cursor.id),
    );
    const follows = FOLLOWS.get(user)?.length ?? 0;
    const size = follows >= WINDOW_FROM ? Math.min(WINDOW_PER_FOLLOW * follows, WINDOW_MAX) : 0;
    const window = older.slice(0, size);
    return window.filter((m) => mine.has(m.author)).length >= limit;
  }

  test("[data] homeTimeline returns the newest of the user and the followed authors, unflagged, in order", async () => {
    for (const user of FOLLOWS.keys()) {
      const rows = await homeTimeline(store.db, user, 31);
      expect(rows.map((m) => m.id)).toEqual(
        definition(user)
          .slice(0, 31)
          .map((m) => m.id),
      );
    }
    const [first] = await homeTimeline(store.db, 1, 1);
    const newest = definition(1)[0];
    expect(first?.username).toBe(`home${newest?.author}`);
    expect(first?.email).toBe(`home${newest?.author}@example.org`);
    expect(first?.text).toBe(`m${newest?.id}`);
    expect(first?.pub_date).toEqual(new Date(newest?.at ?? 0));
  });

  test("[data] the data takes both ways: the newest public messages, and the per-author top-N", () => {
    expect(windowHolds(1, 31)).toBe(true);
    expect(windowHolds(5, 31)).toBe(true);
    expect(windowHolds(6, 31)).toBe(false);
    expect(windowHolds(2, 31)).toBe(false);
    expect(windowHolds(4, 31)).toBe(false);
    // User 6's window (the newest 10,000 public messages) is shorter than the public timeline, and
    // their quiet authors' messages are older than all of it.
    expect(ordered.length).toBeGreaterThan(10_000);
    expect(ordered.slice(0, 10_000).some((m) => QUIET.includes(m.author))).toBe(false);
  });

  test("[data] homeTimeline pages backwards by cursor through every message exactly once", async () => {
    const taken = { window: 0, topN: 0 };
    for (const user of FOLLOWS.keys()) {
      // Short pages for the short timelines only: the long ones have over a hundred pages of 31.
      for (const size of definition(user).length > 500 ? [31] : [31, 10]) {
        const seen: Message[] = [];
        let before: number | undefined;
        for (let page = 0; page < 1000; page++) {
          if (windowHolds(user, size, before)) taken.window++;
          else taken.topN++;
          const rows = await homeTimeline(store.db, user, size, before);
          if (rows.length === 0) break;
          seen.push(...rows);
          before = rows[rows.length - 1]?.id;
        }
        expect(seen.map((m) => m.id)).toEqual(definition(user).map((m) => m.id));
      }
    }
    expect(taken.window).toBeGreaterThan(20);
    expect(taken.topN).toBeGreaterThan(20);
  });

  test("[data] homeTimeline of a user who follows nobody shows their own messages only", async () => {
    const rows = await homeTimeline(store.db, 3, 100);
    expect(rows.map((m) => m.id)).toEqual(definition(3).map((m) => m.id));
    expect(new Set(rows.map((m) => m.username))).toEqual(new Set(["home3"]));
  });

  test("[data] homeTimeline after a cursor that names no message is empty", async () => {
    expect(await homeTimeline(store.db, 1, 31, seeded.length + 1000)).toEqual([]);
  });

  test("[data] homeTimeline follows follows, unfollows, flags and unflags at once", async () => {
    const before = (await homeTimeline(store.db, 2, 31)).map((m) => m.id);
    await store.db.exec("INSERT INTO follows (who_id, whom_id) VALUES (2, 10)");
    const followed = await homeTimeline(store.db, 2, 31);
    await store.db.exec("DELETE FROM follows WHERE who_id = 2 AND whom_id = 10");
    expect(followed.map((m) => m.id)).toEqual(
      ordered
        .filter((m) => authors(2).has(m.author) || m.author === 10)
        .slice(0, 31)
        .map((m) => m.id),
    );
    expect((await homeTimeline(store.db, 2, 31)).map((m) => m.id)).toEqual(before);

    const newest = definition(1)[0] as Seeded;
    await store.db.exec(`UPDATE messages SET flagged = true WHERE id = ${newest.id}`);
    const flagged = (await homeTimeline(store.db, 1, 31)).map((m) => m.id);
    await store.db.exec(`UPDATE messages SET flagged = false WHERE id = ${newest.id}`);
    expect(flagged).toEqual(
      definition(1)
        .slice(1, 32)
        .map((m) => m.id),
    );
    expect((await homeTimeline(store.db, 1, 31))[0]?.id).toBe(newest.id);
  });

  // The branch itself shows only in the plan: the per-author scans (alias `x` in the lateral
  // subquery) run for a light follower's page and never for a heavy follower's. PostgreSQL only:
  // the test reaches PGlite through the program's named queries alone.
  test.skipIf(!process.env.TEST_DATABASE_URL)(
    "[data] homeTimeline's plan runs the per-author top-N only when the window falls short",
    async () => {
      const sql = postgres(store.url as string, { max: 1, onnotice: () => {} });
      const loops = async (name: "messages/home_timeline" | "messages/home_timeline_before", params: number[]) => {
        const [row] = await sql.unsafe<{ "QUERY PLAN": { Plan: PlanNode }[] }[]>(
          `EXPLAIN (ANALYZE, FORMAT JSON) ${queries[name]}`,
          params,
        );
        const plan = row?.["QUERY PLAN"][0]?.Plan;
        if (!plan) throw new Error(`no plan for ${name}`);
        return perAuthorLoops(plan);
      };
      try {
        expect(await loops("messages/home_timeline", [31, 1])).toBe(0);
        expect(await loops("messages/home_timeline", [31, 2])).toBeGreaterThan(0);
        expect(await loops("messages/home_timeline", [31, 6])).toBeGreaterThan(0);
        const heavy = definition(1)[40]?.id as number;
        const light = definition(2)[5]?.id as number;
        expect(windowHolds(1, 31, heavy)).toBe(true);
        expect(windowHolds(2, 31, light)).toBe(false);
        expect(await loops("messages/home_timeline_before", [31, 1, heavy])).toBe(0);
        expect(await loops("messages/home_timeline_before", [31, 2, light])).toBeGreaterThan(0);
      } finally {
        await sql.end();
      }
    },
  );
});
