import { afterAll, beforeAll, expect, test } from "bun:test";
import postgres from "postgres";
import { openDb } from "../src/db.ts";
import { type TestDb, testDb } from "./helpers.ts";

let store: TestDb;
beforeAll(async () => {
  store = await testDb();
});
afterAll(() => store.close());

/** Connections the program holds open to the test database (its application_name is `minitwit`). */
async function programConnections(url: string): Promise<number> {
  const admin = postgres(url, { max: 1 });
  try {
    const [row] = await admin<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND application_name = 'minitwit'`;
    return row?.n ?? 0;
  } finally {
    await admin.end();
  }
}

test("[db] connect() opens the whole pool before any request needs it", async () => {
  if (!store.url) {
    // PGlite: one in-process connection, open from the start; connect() leaves it usable.
    await store.db.connect();
    expect(store.db.pool()).toEqual({ size: 1, inUse: 0 });
    expect(await store.db.query("health")).toHaveLength(1);
    return;
  }
  const db = await openDb({ url: store.url, pool: 4 });
  try {
    const before = await programConnections(store.url);
    await db.connect();
    expect((await programConnections(store.url)) - before).toBe(4);
  } finally {
    await db.close();
  }
});
