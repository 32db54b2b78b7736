import { afterAll, beforeAll, expect, test } from "bun:test";
import { openDb } from "../src/db.ts";
import { migrate } from "../src/migrate.ts";
import { migrations } from "../src/sql.ts";
import { type TestDb, testDb } from "./helpers.ts";

let store: TestDb;
beforeAll(async () => {
  store = await testDb();
});
afterAll(() => store.close());

test("[migrate] a second run applies nothing and the schema is recorded", async () => {
  expect(await migrate(store.db)).toEqual([]);
  const rows = await store.db.query<{ name: string }>("schema/applied");
  expect(rows.map((r) => r.name).sort()).toEqual(migrations.map((m) => m.name).sort());
});

test("[migrate] replicas starting at once on a fresh database apply each migration exactly once", async () => {
  if (!store.url) {
    // PGlite belongs to one process: race concurrent runs inside it on a fresh database.
    const db = await openDb({ dataDir: "memory://" });
    try {
      const applied = await Promise.all([migrate(db), migrate(db), migrate(db)]);
      expect(applied.flat().sort()).toEqual(migrations.map((m) => m.name).sort());
    } finally {
      await db.close();
    }
    return;
  }
  const fresh = new URL(store.url);
  const name = `${fresh.pathname.slice(1)}_race`;
  await store.db.exec(`CREATE DATABASE ${name}`);
  fresh.pathname = `/${name}`;
  const replicas = await Promise.all([1, 2, 3, 4].map(() => openDb({ url: fresh.toString(), pool: 1 })));
  try {
    const applied = await Promise.all(replicas.map((db) => migrate(db)));
    expect(applied.flat().sort()).toEqual(migrations.map((m) => m.name).sort());
  } finally {
    await Promise.all(replicas.map((db) => db.close()));
    await store.db.exec(`DROP DATABASE ${name} WITH (FORCE)`);
  }
}, 60_000);

test("[migrate] the database enforces the invariants the code relies on", async () => {
  const db = store.db;
  await db.query("users/insert", ["inv", "inv", "inv@example.com", "h"]);
  await expect(db.query("users/insert", ["inv", "inv2", "other@example.com", "h"])).rejects.toMatchObject({
    code: "23505",
  });
  await expect(db.query("users/insert", ["Inv", "inv", "other@example.com", "h"])).rejects.toMatchObject({
    code: "23505",
  });
  await expect(db.query("users/insert", ["", "", "e@example.com", "h"])).rejects.toMatchObject({ code: "23514" });
  await expect(db.query("messages/insert", [999_999, "orphan"])).rejects.toMatchObject({ code: "23503" });
});
