// swarm/db-init.sh (the database's first-start script) against the local PostgreSQL: Grafana's role
// reads every table the real migrations create, and cannot write.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import postgres from "postgres";
import { type Db, openDb } from "../../src/db.ts";
import { migrate } from "../../src/migrate.ts";

const SCRIPT = resolve(import.meta.dir, "../../swarm/db-init.sh");
const SERVER = new URL(process.env.TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres");
const suffix = `${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
const database = `minitwit_dbinit_${suffix}`;
const reader = `grafana_reader_${suffix}`;
const folder = mkdtempSync(join(tmpdir(), "minitwit-db-init-"));
const admin = postgres(SERVER.toString(), { max: 1, onnotice: () => {} });

function urlFor(user: string): string {
  const url = new URL(SERVER);
  url.pathname = `/${database}`;
  url.username = user;
  url.password = "reader-password";
  return url.toString();
}

let owner: Db;
let asReader: postgres.Sql;
let output = "";

beforeAll(async () => {
  await admin.unsafe(`CREATE DATABASE ${database}`);
  writeFileSync(join(folder, "password"), "reader-password");
  const proc = Bun.spawn(["sh", SCRIPT], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      PGHOST: SERVER.hostname,
      PGPORT: SERVER.port || "5432",
      POSTGRES_USER: SERVER.username || "postgres",
      POSTGRES_DB: database,
      GRAFANA_POSTGRES_USER: reader,
      GRAFANA_POSTGRES_PASSWORD_FILE: join(folder, "password"),
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  output = (await new Response(proc.stdout).text()) + (await new Response(proc.stderr).text());
  expect(await proc.exited).toBe(0);
  // The migrations run after the script, as the owner: default privileges must cover their tables.
  const ownerUrl = new URL(SERVER);
  ownerUrl.pathname = `/${database}`;
  owner = await openDb({ url: ownerUrl.toString(), pool: 1 });
  await migrate(owner);
  await owner.exec("INSERT INTO latest (value) VALUES (42) ON CONFLICT (id) DO UPDATE SET value = 42");
  asReader = postgres(urlFor(reader), { max: 1, onnotice: () => {} });
}, 60_000);

afterAll(async () => {
  await asReader?.end();
  await owner?.close();
  await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.unsafe(`DROP ROLE IF EXISTS ${reader}`);
  await admin.end();
  rmSync(folder, { recursive: true, force: true });
});

describe("[db-init] Grafana's read-only role", () => {
  test("[db-init] the script creates the role and says so", () => {
    expect(output).toContain(`read-only role ${reader} created`);
  });

  test("[db-init] the role reads tables created later by the migrations", async () => {
    const [row] = await asReader.unsafe(
      "SELECT (SELECT count(*) FROM users)::int AS users, value::int AS value FROM latest",
    );
    expect({ ...row }).toEqual({ users: 0, value: 42 });
  });

  test("[db-init] the role cannot write", async () => {
    const error = await asReader.unsafe("DELETE FROM latest").catch((e: { code?: string }) => e);
    expect((error as { code?: string }).code).toBe("42501");
  });
});
