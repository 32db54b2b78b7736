import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { writeDocs } from "../../bench/report.ts";
import { openDb } from "../../src/db.ts";
import { type Finished, run } from "../run.ts";

// A small run of `npm run seed` and `npm run bench` (seconds instead of minutes) so that neither rots.
const SERVER = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const ROOT = join(import.meta.dir, "..", "..");
const suffix = `${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
const names = [`minitwit_smoke_${suffix}`, `minitwit_smoke_growth_${suffix}`];
const admin = postgres(SERVER, { max: 1, onnotice: () => {} });

function urlOf(name: string): string {
  const url = new URL(SERVER);
  url.pathname = `/${name}`;
  return url.toString();
}

function npm(...args: string[]): Promise<Finished> {
  return run(["npm", "run", "-s", ...args], { cwd: ROOT });
}

describe("[bench] seed and benchmark at small size", () => {
  beforeAll(async () => {
    for (const name of names) await admin.unsafe(`CREATE DATABASE ${name}`);
  });

  afterAll(async () => {
    for (const name of names) await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  test("[bench] npm run seed fills a database whose users sign in with the documented password", async () => {
    const seed = (messages: number, name: string) =>
      npm(
        "seed",
        "--",
        "--users",
        "200",
        "--follows",
        "1000",
        "--messages",
        String(messages),
        "--database",
        urlOf(name),
      );
    const [main, growth] = await Promise.all([seed(5000, names[0] as string), seed(1000, names[1] as string)]);
    expect(main.code).toBe(0);
    expect(growth.code).toBe(0);
    const report = JSON.parse(main.stdout.trim().split("\n").pop() as string);
    expect(report.users).toBe(200);
    expect(report.follows).toBeGreaterThan(400);
    expect(report.messages).toBeGreaterThan(4500);
    expect(report.messages).toBeLessThan(5500);
    expect(main.stderr).toContain("password of every user: minitwit-seed");
    const sql = postgres(urlOf(names[0] as string), { max: 1 });
    const [hash] = await sql<{ pw_hash: string }[]>`SELECT pw_hash FROM users WHERE username = 'user200'`;
    await sql.end();
    expect(hash?.pw_hash.startsWith("$argon2id$")).toBe(true);
    expect(await Bun.password.verify("minitwit-seed", hash?.pw_hash as string)).toBe(true);
  }, 120_000);

  test("[bench] npm run bench prints every target row with its ceiling, ratio and verdict, and no errors", async () => {
    const result = await npm(
      "bench",
      "--",
      "--database",
      urlOf(names[0] as string),
      "--growth-database",
      urlOf(names[1] as string),
      "--seconds",
      "1",
      "--growth-seconds",
      "1",
      "--connections",
      "4",
      "--port",
      "6550",
      // On both databases: the embedded one starts on a new folder (initdb) and replays slower.
      "--replay-actions",
      "500",
      // The smoke run checks the machinery, not the 0.3 s budget, on a machine that may be busy.
      "--replay-timeout",
      "5000",
    );
    expect(result.code).toBe(0);
    const tables = result.stdout
      .split("\n")
      .filter((l) => l.startsWith("| ") && !l.startsWith("| ---"))
      .map((l) => l.split("|").map((c) => c.trim()));
    const header = (first: string) => tables.findIndex((c) => c[1] === first);
    // The main table: workload, conc., req/s, p50, p99, max, errors, ceiling, ratio, target, met, CPU.
    const rows = tables.filter((c) => c.length === 14 && c[1] !== "workload");
    expect(rows.map((c) => c[1])).toEqual([
      "GET /public",
      "GET /USERNAME",
      "GET / signed in",
      "GET /public, writes at 100/s",
      "scenario writes at 100/s, beside GET /public",
      "GET /USERNAME, writes at 100/s",
      "scenario writes at 100/s, beside GET /USERNAME",
      "bare Elysia, keep-alive",
      "bare Elysia, Connection: close",
      "pgbench: messages/insert (single row)",
      "scenario replay (API), PostgreSQL",
      "scenario replay (API), embedded",
    ]);
    for (const c of rows) {
      expect(Number(c[3])).toBeGreaterThan(0); // req/s
      expect(c[7]).toBe("0"); // errors, the paced writers' own included
    }
    const row = (name: string) => rows.find((c) => c[1] === name) as string[];
    // Each target row names its ceiling, has a ratio, its target and a verdict.
    const ceilings: [string, RegExp, string][] = [
      ["GET /public", /^bare Bun\.serve, the same page \([\d.]+ KB\): \d+\/s/, "0 errors, ≥ 25 %, p99 ≤ 10 ms"],
      [
        "GET /USERNAME",
        /^bare Bun\.serve, the same 200 pages \([\d.]+ KB mean\): \d+\/s/,
        "0 errors, ≥ 25 %, p99 ≤ 10 ms",
      ],
      [
        "GET /public, writes at 100/s",
        /^pgbench: messages\/public_timeline, writes at 100\/s: \d+\/s/,
        "0 errors, ≥ 100 %, p99 ≤ 25 ms",
      ],
      [
        "GET /USERNAME, writes at 100/s",
        /^pgbench: users\/by_name \+ messages\/user_timeline, writes at 100\/s: \d+\/s/,
        "0 errors, ≥ 100 %, p99 ≤ 25 ms",
      ],
      ["GET / signed in", /^pgbench: messages\/home_timeline: \d+\/s/, "0 errors, ≥ 50 %, p99 ≤ 50 ms"],
      ["scenario replay (API), PostgreSQL", /^pgbench: messages\/insert \(single row\): \d+\/s/, "0 errors, ≥ 40 %"],
    ];
    for (const [name, ceiling, target] of ceilings) {
      const c = row(name);
      expect(c[8]).toMatch(ceiling);
      expect(c[9]).toMatch(/^\d+ %$/);
      expect(c[10]).toBe(target);
      expect(["yes", "**no**"]).toContain(c[11] as string);
    }
    const embedded = row("scenario replay (API), embedded");
    expect(embedded[10]).toBe("0 errors, max ≤ 150 ms");
    expect(["yes", "**no**"]).toContain(embedded[11] as string);
    // The paced writers went at about their pace (a second of pgbench and a second of wrk, loosely).
    for (const name of [
      "scenario writes at 100/s, beside GET /public",
      "scenario writes at 100/s, beside GET /USERNAME",
    ]) {
      expect(Number(row(name)[3])).toBeGreaterThan(50);
      expect(Number(row(name)[3])).toBeLessThan(110);
    }
    const memory = tables.slice(
      header("resident memory after the replay") + 1,
      header("resident memory after the replay") + 3,
    );
    expect(memory.map((c) => [c[1], c[3]])).toEqual([
      ["PostgreSQL (the server process)", "≤ 150 MB"],
      ["embedded (the server process)", "≤ 300 MB"],
    ]);
    for (const c of memory) expect(Number(c[2])).toBeGreaterThan(10);
    expect(result.stdout).toContain("Sizes: 200 users");
    expect(result.stdout).toMatch(/first page served \d+ ms after the process started/);
    expect(result.stdout).toMatch(/embedded database on a new folder: \d+ ms/);
    expect(tables.filter((c) => c.length === 7 && c[1] !== "timeline").map((c) => c[1])).toEqual([
      "GET /public",
      "GET /USERNAME",
      "GET / signed in",
    ]);
  }, 180_000);

  test("[bench] named queries run as prepared statements on PostgreSQL, parsed and planned once", async () => {
    const db = await openDb({ url: urlOf(names[0] as string), pool: 1 });
    try {
      expect(db.engine).toBe("postgres");
      const [row] = await db.query<{ id: number }>("users/by_name", ["user1"]);
      expect(row?.id).toBeGreaterThan(0);
      // Raises unless this connection holds the statement prepared by postgres.js.
      await db.exec(`DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_prepared_statements WHERE statement LIKE '%FROM users WHERE username = $1%')
        THEN RAISE EXCEPTION 'users/by_name was not prepared'; END IF; END $$`);
      await expect(
        db.exec(`DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_prepared_statements WHERE statement LIKE '%never prepared%')
          THEN RAISE EXCEPTION 'not prepared'; END IF; END $$`),
      ).rejects.toThrow("not prepared");
    } finally {
      await db.close();
    }
  });

  test("[bench] writeDocs replaces only the marked block of docs/performance.md", () => {
    const path = join(mkdtempSync(join(tmpdir(), "minitwit-docs-")), "performance.md");
    writeFileSync(path, "# Title\n\nbefore\n<!-- bench:start -->\nold\n<!-- bench:end -->\nafter\n");
    writeDocs("new table", path);
    expect(readFileSync(path, "utf8")).toBe(
      "# Title\n\nbefore\n<!-- bench:start -->\nnew table\n<!-- bench:end -->\nafter\n",
    );
  });
});
