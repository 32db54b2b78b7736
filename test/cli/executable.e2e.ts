// The operator commands in the compiled executable, run from a folder without node_modules or sources.
// Run: TEST_DATABASE_URL=postgres://... bun test ./test/cli/executable.e2e.ts (PGlite when unset).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { postMessage } from "../../src/data/messages.ts";
import { createUser } from "../../src/data/users.ts";
import { openDb } from "../../src/db.ts";
import { migrate } from "../../src/migrate.ts";
import { type TestDb, testDb } from "../helpers.ts";
import { run } from "../run.ts";

const ROOT = join(import.meta.dir, "../..");
const dir = mkdtempSync(join(tmpdir(), "minitwit-exe-"));
const exe = join(dir, "minitwit");
let store: TestDb | undefined;
let dataDir: string | undefined;
let spamId = 0;

beforeAll(async () => {
  // The same entry points as `npm run build`: the embedded database's thread is an entry point of its own.
  const entries = ["src/main.ts", "src/pglite-worker.ts"];
  const build = Bun.spawn([process.execPath, "build", "--compile", "--minify", ...entries, "--outfile", exe], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  if ((await build.exited) !== 0) throw new Error(await new Response(build.stderr).text());
  const seed = async (db: Awaited<ReturnType<typeof openDb>>) => {
    const eve = (await createUser(db, { username: "eve", email: "e@example.com", password: "x" })) as number;
    await postMessage(db, eve, "a kind word");
    spamId = await postMessage(db, eve, "SPAM: 50% off_today");
  };
  if (process.env.TEST_DATABASE_URL) {
    store = await testDb();
    await seed(store.db);
  } else {
    dataDir = join(dir, "data");
    const db = await openDb({ dataDir });
    await migrate(db);
    await seed(db);
    await db.close();
  }
}, 180_000);

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

function minitwit(args: string[], env: Record<string, string> = {}) {
  return run([exe, ...args], {
    cwd: dir,
    env: {
      PATH: "/usr/bin:/bin",
      MINITWIT_OPERATOR: "exe-tester",
      ...(store?.url ? { DATABASE_URL: store.url } : { DATA_DIR: dataDir as string }),
      ...env,
    },
  });
}

describe("[cli] the compiled executable", () => {
  test("[cli] minitwit --help and messages --help answer without a database", async () => {
    const usage = await minitwit(["--help"], { DATABASE_URL: "postgres://postgres@127.0.0.1:1/none" });
    expect(usage.code).toBe(0);
    expect(usage.stdout).toContain("flag ID...");
    const help = await minitwit(["messages", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toStartWith("Usage: minitwit messages");
  });

  test("[cli] find, flag and unflag a message with the executable", async () => {
    const found = await minitwit(["messages", "--contains", "50% off_", "--json"]);
    expect(found.code).toBe(0);
    expect(JSON.parse(found.stdout)).toEqual([
      { id: spamId, author: "eve", pub_date: expect.any(String), flagged: false, text: "SPAM: 50% off_today" },
    ]);
    const flagged = await minitwit(["flag", String(spamId)]);
    expect(flagged.code).toBe(0);
    expect(flagged.stderr).toBe(`flagged ${spamId}\n`);
    const event = JSON.parse(flagged.stdout);
    expect(event.event.action).toBe("flag");
    expect(event.user.name).toBe("exe-tester");
    const listed = await minitwit(["messages", "--flagged"]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain("SPAM: 50% off_today");
    const unflagged = await minitwit(["unflag", String(spamId)]);
    expect(unflagged.code).toBe(0);
    expect(JSON.parse(unflagged.stdout).event.action).toBe("unflag");
  }, 120_000);

  test("[cli] the executable's exit codes: unknown id 1, bad id 2, unreachable database 3", async () => {
    const unknown = await minitwit(["flag", "987654"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no message with id 987654");
    const bad = await minitwit(["unflag", "x"]);
    expect(bad.code).toBe(2);
    const away = await minitwit(["messages"], { DATABASE_URL: "postgres://postgres@127.0.0.1:1/none" });
    expect(away.code).toBe(3);
    expect(away.stderr).toContain("cannot use PostgreSQL at 127.0.0.1:1/none");
  }, 120_000);
});
