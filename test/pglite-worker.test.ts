import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { messages } from "@electric-sql/pglite";
import { DatabaseUnavailable, isUniqueViolation, openDb } from "../src/db.ts";
import { type TestDb, testDb } from "./helpers.ts";

// The embedded database runs on a thread of its own (src/pglite-worker.ts): what callers rely on must
// cross the thread intact, on both engines alike, and the program's thread must stay free meanwhile.
let store: TestDb;
beforeAll(async () => {
  store = await testDb();
});
afterAll(() => store.close());

test("[db] the program's thread keeps running while the database works on a long statement", async () => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const start = performance.now();
  try {
    await store.db.exec("SELECT count(*) FROM generate_series(1, 2000000) AS s(i) WHERE i % 7 = 0");
  } finally {
    clearInterval(timer);
  }
  const elapsed = performance.now() - start;
  // Long enough to mean something; on the program's thread the timer would not fire at all.
  expect(elapsed).toBeGreaterThan(50);
  expect(ticks).toBeGreaterThanOrEqual(Math.floor(elapsed / 5 / 4));
});

test("[db] rows keep their types: ids are numbers, timestamps are Dates", async () => {
  const [user] = await store.db.query<{ id: unknown }>("users/insert", ["types", "types", "types@example.com", "h"]);
  expect(typeof user?.id).toBe("number");
  const [message] = await store.db.query<{ id: unknown }>("messages/insert", [user?.id, "typed"]);
  expect(typeof message?.id).toBe("number");
  const rows = await store.db.query<{ id: unknown; pub_date: unknown; text: unknown }>("messages/public_timeline", [1]);
  expect(rows).toHaveLength(1);
  expect(rows[0]?.id).toBe(message?.id);
  expect(rows[0]?.text).toBe("typed");
  const published = rows[0]?.pub_date;
  expect(published).toBeInstanceOf(Date);
  expect(Math.abs((published as Date).getTime() - Date.now())).toBeLessThan(60_000);
});

test("[db] a refused value keeps PostgreSQL's error: code, message, and PGlite's class and fields", async () => {
  await store.db.query("users/insert", ["taken", "taken", "taken@example.com", "h"]);
  let caught: unknown;
  try {
    await store.db.query("users/insert", ["taken", "taken2", "other@example.com", "h"]);
  } catch (error) {
    caught = error;
  }
  expect(isUniqueViolation(caught)).toBe(true);
  expect(caught).toMatchObject({ code: "23505" });
  expect((caught as Error).message).toBe('duplicate key value violates unique constraint "users_username_key"');
  if (store.url) return;
  // The embedded engine's own class and fields, rebuilt on this side of the thread.
  expect(caught).toBeInstanceOf(messages.DatabaseError);
  expect(caught).toMatchObject({ severity: "ERROR", table: "users", constraint: "users_username_key" });
});

test("[db] a transaction that throws leaves nothing behind; one that returns commits", async () => {
  const failure = new Error("changed my mind");
  let caught: unknown;
  try {
    await store.db.transaction(async (tx) => {
      await tx.query("users/insert", ["undone", "undone", "undone@example.com", "h"]);
      throw failure;
    });
  } catch (error) {
    caught = error;
  }
  expect(caught).toBe(failure);
  expect(await store.db.query("users/by_name", ["undone"])).toEqual([]);
  const id = await store.db.transaction(async (tx) => {
    const [row] = await tx.query<{ id: number }>("users/insert", ["done", "done", "done@example.com", "h"]);
    return row?.id;
  });
  expect(await store.db.query("users/by_name", ["done"])).toEqual([
    { id, username: "done", email: "done@example.com" },
  ]);
});

test("[db] the embedded database: queries outside a transaction wait for its end", async () => {
  if (store.url) return; // PostgreSQL answers them at once from a snapshot
  const order: string[] = [];
  let opened!: () => void;
  const isOpen = new Promise<void>((resolve) => {
    opened = resolve;
  });
  const transaction = store.db.transaction(async (tx) => {
    await tx.query("users/insert", ["waited", "waited", "waited@example.com", "h"]);
    opened();
    await Bun.sleep(100);
    order.push("committing");
  });
  await isOpen;
  const outside = store.db.query("users/by_name", ["waited"]).then((rows) => {
    order.push("outside");
    return rows;
  });
  await transaction;
  expect(await outside).toHaveLength(1);
  expect(order).toEqual(["committing", "outside"]);
});

test("[db] the embedded database in a folder: 503 once closed, its rows there when opened again", async () => {
  if (store.url) return;
  const dir = mkdtempSync(join(tmpdir(), "minitwit-pglite-"));
  try {
    const db = await openDb({ dataDir: dir });
    try {
      await db.exec("CREATE TABLE kept (n int)");
      await db.exec("INSERT INTO kept VALUES (42)");
    } finally {
      await db.close();
    }
    let closed: unknown;
    try {
      await db.query("health");
    } catch (error) {
      closed = error;
    }
    expect(closed).toBeInstanceOf(DatabaseUnavailable);
    const again = await openDb({ dataDir: dir });
    try {
      // exec returns no rows: the check raises when the value is not there (and does raise: see 41).
      const check = (n: number) =>
        again.exec(
          `DO $$ BEGIN IF (SELECT n FROM kept) IS DISTINCT FROM ${n} THEN RAISE EXCEPTION 'not ${n}'; END IF; END $$`,
        );
      await check(42);
      let wrong: unknown;
      try {
        await check(41);
      } catch (error) {
        wrong = error;
      }
      expect((wrong as Error).message).toBe("not 41");
    } finally {
      await again.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
