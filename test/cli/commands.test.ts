import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXIT, formatTable, parseIds, printable, runCli } from "../../src/cli.ts";
import { postMessage } from "../../src/data/messages.ts";
import { countFlagged, listMessages } from "../../src/data/moderation.ts";
import { createUser } from "../../src/data/users.ts";
import { type TestDb, testDb } from "../helpers.ts";

let store: TestDb;
const ids = { plain: 0, percent: 0, underscore: 0, letters: 0, escape: 0 };

beforeAll(async () => {
  store = await testDb();
  const alice = (await createUser(store.db, { username: "alice", email: "a@example.com", password: "x" })) as number;
  const bob = (await createUser(store.db, { username: "bob", email: "b@example.com", password: "x" })) as number;
  ids.plain = await postMessage(store.db, alice, "Hello world");
  ids.percent = await postMessage(store.db, alice, "100% sure");
  ids.underscore = await postMessage(store.db, bob, "snake_case rules");
  ids.letters = await postMessage(store.db, bob, "100 percent, snakeXcase");
  ids.escape = await postMessage(store.db, bob, "bell\u0007 and \u001b[31mred\u001b[0m\nnext line");
}, 60_000);
afterAll(() => store.close());

/** Runs a command in this process on the test database; returns its exit code and both outputs. */
async function cli(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    env: { LOG_LEVEL: "silent", MINITWIT_OPERATOR: "tester", ...env },
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    db: store.db,
  });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

async function listed(args: string[]) {
  const r = await cli(["messages", "--json", ...args]);
  expect(r.code).toBe(EXIT.ok);
  return JSON.parse(r.stdout) as { id: number; author: string; pub_date: string; flagged: boolean; text: string }[];
}

describe("[cli] messages", () => {
  test("[cli] messages --json lists every message newest first with id, author, time, flagged and text", async () => {
    const rows = await listed([]);
    expect(rows.map((r) => r.id)).toEqual([ids.escape, ids.letters, ids.underscore, ids.percent, ids.plain]);
    expect(rows.at(-1)).toEqual({
      id: ids.plain,
      author: "alice",
      pub_date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      flagged: false,
      text: "Hello world",
    });
  });

  test("[cli] --user keeps one author's messages and an unknown user exits 1", async () => {
    expect((await listed(["--user", "alice"])).map((r) => r.id)).toEqual([ids.percent, ids.plain]);
    const r = await cli(["messages", "--user", "nobody"]);
    expect(r.code).toBe(EXIT.notFound);
    expect(r.stderr).toContain('no user named "nobody"');
    expect(r.stdout).toBe("");
  });

  test("[cli] --contains matches case-insensitively and treats % and _ as plain characters", async () => {
    expect((await listed(["--contains", "HELLO"])).map((r) => r.id)).toEqual([ids.plain]);
    expect((await listed(["--contains", "100%"])).map((r) => r.id)).toEqual([ids.percent]);
    expect((await listed(["--contains", "snake_case"])).map((r) => r.id)).toEqual([ids.underscore]);
    expect(await listed(["--contains", "%"])).toHaveLength(1);
    expect(await listed(["--contains", "_"])).toHaveLength(1);
    expect(await listed(["--contains", "'; DROP TABLE messages; --"])).toEqual([]);
  });

  test("[cli] --limit caps the rows and --user with --contains combine", async () => {
    expect((await listed(["--limit", "2"])).map((r) => r.id)).toEqual([ids.escape, ids.letters]);
    expect((await listed(["--user", "bob", "--contains", "100"])).map((r) => r.id)).toEqual([ids.letters]);
    expect(await listed(["--user", "alice", "--contains", "snake"])).toEqual([]);
  });

  test("[cli] the table escapes control characters so a message cannot drive the terminal", async () => {
    const r = await cli(["messages", "--user", "bob"]);
    expect(r.code).toBe(EXIT.ok);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ *ID {2}AUTHOR {2}TIME \(UTC\) +FLAGGED {2}TEXT$/);
    expect(lines).toHaveLength(4);
    expect(r.stdout).toContain("bell\\u0007 and \\u001b[31mred\\u001b[0m\\nnext line");
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
    expect(r.stdout).not.toMatch(/[\u0007\u001b]/);
    expect(printable("a\u202eb\tc\u0085")).toBe("a\\u202eb\\tc\\u0085");
  });

  test("[cli] an empty listing says so on stderr and prints no table", async () => {
    const r = await cli(["messages", "--contains", "no such text anywhere"]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("no messages match");
    expect(formatTable([])).toMatch(/^ *ID/);
  });

  test("[cli] bad options exit 2 with the problem and a pointer to --help", async () => {
    const cases: [string[], string][] = [
      [["messages", "--limit", "0"], "--limit must be an integer from 1 to 1000"],
      [["messages", "--limit", "abc"], "--limit must be an integer from 1 to 1000"],
      [["messages", "--limit", "1001"], "--limit must be an integer from 1 to 1000"],
      [["messages", "--bogus"], "Unknown option '--bogus'"],
      [["messages", "--user"], "argument missing"],
      [["messages", "extra"], "Unexpected argument 'extra'"],
      [["messages", "--contains", ""], "--contains needs some text"],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect(r.code).toBe(EXIT.usage);
      expect(r.stderr).toContain(message);
      expect(r.stderr).toContain('see "minitwit messages --help"');
      expect(r.stdout).toBe("");
    }
  });
});

describe("[cli] flag and unflag", () => {
  test("[cli] flag hides, is idempotent, logs an ECS event with the operator; unflag restores", async () => {
    const r = await cli(["flag", String(ids.plain)]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stderr).toBe(`flagged ${ids.plain}\n`);
    const event = JSON.parse(r.stdout.trim());
    expect(event["log.level"]).toBe("info");
    expect(event["ecs.version"]).toMatch(/^\d/);
    expect(event["service.name"]).toBe("minitwit-cli");
    expect(event.event).toMatchObject({ action: "flag", outcome: "success", kind: "event" });
    expect(event.user).toEqual({ name: "tester" });
    expect(event.minitwit.moderation).toEqual({ ids: [ids.plain], changed: [ids.plain], unchanged: [], unknown: [] });
    expect(event.message).toBe(`flagged message ${ids.plain}`);
    expect((await listed(["--flagged"])).map((r) => [r.id, r.flagged])).toEqual([[ids.plain, true]]);
    expect((await listed([])).map((r) => [r.id, r.flagged])).toEqual([
      [ids.escape, false],
      [ids.letters, false],
      [ids.underscore, false],
      [ids.percent, false],
      [ids.plain, true],
    ]);
    expect((await listed(["--user", "alice", "--contains", "hello"])).map((r) => r.id)).toEqual([ids.plain]);
    expect(await countFlagged(store.db)).toBe(1);

    const again = await cli(["flag", String(ids.plain), String(ids.percent)]);
    expect(again.code).toBe(EXIT.ok);
    expect(again.stderr).toBe(`flagged ${ids.percent} (already flagged: ${ids.plain})\n`);
    expect(await countFlagged(store.db)).toBe(2);

    const back = await cli(["unflag", `${ids.plain},${ids.percent}`]);
    expect(back.code).toBe(EXIT.ok);
    expect(back.stderr).toBe(`unflagged ${ids.plain}, ${ids.percent}\n`);
    expect(JSON.parse(back.stdout.trim()).event.action).toBe("unflag");
    expect(await countFlagged(store.db)).toBe(0);
    const none = await cli(["unflag", String(ids.plain)]);
    expect(none.stderr).toBe(`nothing to unflag (already unflagged: ${ids.plain})\n`);
  });

  test("[cli] an unknown id exits 1 naming it, changes nothing, and logs the refusal", async () => {
    const r = await cli(["flag", String(ids.plain), "999999", "888888"]);
    expect(r.code).toBe(EXIT.notFound);
    expect(r.stderr).toContain("no message with id 999999, 888888; nothing was changed");
    const event = JSON.parse(r.stdout.trim());
    expect(event["log.level"]).toBe("warn");
    expect(event.event).toMatchObject({ action: "flag", outcome: "failure" });
    expect(event.minitwit.moderation.unknown).toEqual([999999, 888888]);
    expect(await countFlagged(store.db)).toBe(0);
    expect((await listMessages(store.db, { flagged: true, limit: 10 })).length).toBe(0);
  });

  test("[cli] bad ids exit 2 before touching the database", async () => {
    for (const args of [
      ["flag"],
      ["flag", "abc"],
      ["flag", "0"],
      ["flag", "-3"],
      ["flag", "1.5"],
      ["unflag", "2147483648"],
    ]) {
      const r = await cli(args);
      expect(r.code).toBe(EXIT.usage);
      expect(r.stderr).toMatch(/give at least one message id|not a message id|Unknown option/);
      expect(r.stdout).toBe("");
    }
    expect(parseIds(["3", "1,2", "3"])).toEqual([3, 1, 2]);
  });

  test("[cli] without MINITWIT_OPERATOR the login name is recorded, else a warning says so", async () => {
    const named = await cli(["unflag", String(ids.plain)], { MINITWIT_OPERATOR: "", USER: "carol" });
    expect(JSON.parse(named.stdout.trim()).user.name).toBe("carol");
    const anonymous = await runCli(["unflag", String(ids.plain)], {
      env: { LOG_LEVEL: "silent" },
      stdout: { write: () => {} },
      stderr: { write: (s: string) => expect(s).toMatch(/MINITWIT_OPERATOR|nothing to unflag/) },
      db: store.db,
    });
    expect(anonymous).toBe(EXIT.ok);
  });
});

describe("[cli] MINITWIT_EVENT_LOG", () => {
  test("[cli] the event also goes to MINITWIT_EVENT_LOG, and an unwritable one stops the command first", async () => {
    const dir = mkdtempSync(join(tmpdir(), "minitwit-events-"));
    try {
      const file = join(dir, "events.log");
      const r = await cli(["flag", String(ids.letters)], { MINITWIT_EVENT_LOG: file });
      expect(r.code).toBe(EXIT.ok);
      expect(readFileSync(file, "utf8")).toBe(r.stdout);
      expect(JSON.parse(r.stdout).minitwit.moderation.ids).toEqual([ids.letters]);

      const refused = await cli(["unflag", String(ids.letters)], { MINITWIT_EVENT_LOG: join(dir, "no/such/dir/x") });
      expect(refused.code).toBe(EXIT.usage);
      expect(refused.stderr).toContain("MINITWIT_EVENT_LOG: cannot write");
      expect((await listed(["--flagged"])).map((m) => m.id)).toEqual([ids.letters]);
      expect((await listed(["--limit", "3"])).map((m) => [m.id, m.flagged])).toEqual([
        [ids.escape, false],
        [ids.letters, true],
        [ids.underscore, false],
      ]);
      expect((await cli(["unflag", String(ids.letters)])).code).toBe(EXIT.ok);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("[cli] commands", () => {
  test("[cli] --help of every command prints its usage on stdout and exits 0", async () => {
    for (const command of ["serve", "migrate", "healthcheck", "messages", "flag", "unflag"]) {
      const r = await cli([command, "--help"]);
      expect(r.code).toBe(EXIT.ok);
      expect(r.stdout).toStartWith(`Usage: minitwit ${command}`);
      expect(r.stderr).toBe("");
    }
    for (const args of [["--help"], ["-h"], ["help"]]) {
      const r = await cli(args);
      expect(r.code).toBe(EXIT.ok);
      expect(r.stdout).toContain("flag ID...");
    }
    expect((await cli(["help", "messages"])).stdout).toContain("--contains TEXT");
  });

  test("[cli] an unknown command exits 2 with the list of commands", async () => {
    const r = await cli(["frobnicate"]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain('unknown command "frobnicate"');
    expect(r.stderr).toContain("Commands:");
  });

  test("[cli] a bad configuration exits 2 naming the variable", async () => {
    const r = await cli(["messages"], { DATABASE_POOL: "zero" });
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain("configuration: DATABASE_POOL must be an integer");
  });

  test("[cli] migrate on a migrated database has nothing to do", async () => {
    const r = await cli(["migrate"]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stderr).toBe("nothing to migrate\n");
  });
});
