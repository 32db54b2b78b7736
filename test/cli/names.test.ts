// Rows that collide under the name key (registered before migration 0005): kept and working, given
// their keys oldest first, and listed by `minitwit names`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { EXIT, runCli } from "../../src/cli.ts";
import { createUser, fillNameKeys, userByName } from "../../src/data/users.ts";
import { migrate } from "../../src/migrate.ts";
import { Client, startApp, type TestApp } from "../helpers.ts";

let app: TestApp;
const legacy = ["Alice", "alice", "\u0430lice", "Bob", "ali\u200bce"];

beforeAll(async () => {
  app = await startApp();
  // As an older version stored them: no key, no check of the characters.
  const hash = await Bun.password.hash("secret", { algorithm: "argon2id", memoryCost: 4096, timeCost: 2 });
  for (const name of legacy) await app.db.query("users/insert", [name, null, "l@example.com", hash]);
}, 60_000);
afterAll(() => app.stop());

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    env: { LOG_LEVEL: "silent" },
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    db: app.db,
  });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

describe("[cli] names", () => {
  test("[cli] migrate gives keys oldest first and leaves the later look-alikes without one", async () => {
    await migrate(app.db);
    expect(await fillNameKeys(app.db)).toEqual({ filled: 0, left: 3 });
    const rows = await app.db.query<{ username: string; name_key: string | null }>("users/names");
    expect(rows.map((r) => [r.username, r.name_key])).toEqual([
      ["Alice", "alice"],
      ["alice", null],
      ["\u0430lice", null],
      ["Bob", "bob"],
      ["ali\u200bce", null],
    ]);
  });

  test("[cli] every legacy row still signs in and is found by its exact name", async () => {
    for (const name of legacy) {
      expect((await userByName(app.db, name))?.username).toBe(name);
      expect((await new Client(app.web).login(name)).text).toContain("You were logged in");
    }
  });

  test("[cli] a new registration of the same look is refused even though later rows have no key", async () => {
    expect(await createUser(app.db, { username: "ALICE", email: "x@y", password: "p" })).toBeUndefined();
    expect(await createUser(app.db, { username: "alic\u0435", email: "x@y", password: "p" })).toBeUndefined();
  });

  test("[cli] names lists each group oldest first, escaped, and changes nothing", async () => {
    const r = await cli(["names"]);
    expect(r.code).toBe(EXIT.ok);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/holds the name\s+Alice$/);
    expect(lines[1]).toMatch(/look-alike\s+alice$/);
    expect(lines[2]).toMatch(/look-alike\s+\\u0430lice$/);
    expect(lines[3]).toMatch(/look-alike\s+ali\\u200bce$/);
    expect(r.stderr).toContain("1 group(s) of look-alike names");
    const json = JSON.parse((await cli(["names", "--json"])).stdout) as { username: string; holds_name: boolean }[][];
    expect(json.map((g) => g.map((u) => [u.username, u.holds_name]))).toEqual([
      [
        ["Alice", true],
        ["alice", false],
        ["\u0430lice", false],
        ["ali\u200bce", false],
      ],
    ]);
    expect((await app.db.query("users/names")).length).toBe(legacy.length);
  });
});
