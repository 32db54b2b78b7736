// The command line as a real process: exit codes and stderr when the database is away, in use, or the arguments are bad.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb } from "../../src/db.ts";
import { run } from "../run.ts";

const ROOT = join(import.meta.dir, "../..");

function minitwit(args: string[], env: Record<string, string>) {
  return run([process.execPath, "src/main.ts", ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", MINITWIT_OPERATOR: "tester", ...env },
  });
}

/** A loopback port nothing listens on: bound, then released. */
function closedPort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

describe("[cli] the process", () => {
  test("[cli] a database at a closed port fails fast with exit 3, where it is, and no password", async () => {
    const port = closedPort();
    for (const args of [["flag", "12"], ["messages"], ["migrate"], ["serve"]]) {
      const r = await minitwit(args, { DATABASE_URL: `postgres://op:hunter2secret@127.0.0.1:${port}/minitwit` });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`cannot use PostgreSQL at 127.0.0.1:${port}/minitwit`);
      expect(r.stderr).toContain("ECONNREFUSED");
      expect(r.stderr).not.toContain("hunter2secret");
      expect(r.stdout).toBe("");
      expect(r.seconds).toBeLessThan(10);
    }
  }, 60_000);

  test("[cli] a database that accepts connections but never answers is exit 3 after 5 s, not a hang", async () => {
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const r = await minitwit(["flag", "12"], {
        DATABASE_URL: `postgres://postgres@127.0.0.1:${silent.port}/minitwit`,
      });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`cannot use PostgreSQL at 127.0.0.1:${silent.port}/minitwit: no answer within 5 s`);
      expect(r.stdout).toBe("");
      expect(r.seconds).toBeGreaterThan(4.5);
      expect(r.seconds).toBeLessThan(15);
    } finally {
      silent.stop(true);
    }
  }, 60_000);

  test("[cli] a host name that does not resolve is exit 3 too", async () => {
    const r = await minitwit(["messages"], { DATABASE_URL: "postgres://postgres@db.invalid:5432/minitwit" });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("cannot use PostgreSQL at db.invalid:5432/minitwit");
  }, 30_000);

  test("[cli] bad arguments exit 2 and help exits 0, without opening any database", async () => {
    const env = { DATABASE_URL: `postgres://postgres@127.0.0.1:${closedPort()}/x` };
    const bad = await minitwit(["flag", "twelve"], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('minitwit flag: not a message id: "twelve"');
    const unknown = await minitwit(["frobnicate"], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const help = await minitwit(["messages", "--help"], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toStartWith("Usage: minitwit messages");
    expect(help.stderr).toBe("");
  }, 30_000);

  test("[cli] the embedded database in use by another process is refused with exit 3, then usable", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "minitwit-lock-"));
    try {
      const held = await openDb({ dataDir });
      let r: Awaited<ReturnType<typeof minitwit>>;
      try {
        r = await minitwit(["flag", "1"], { DATA_DIR: dataDir });
      } finally {
        await held.close();
      }
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`the embedded database in ${dataDir} is in use by process ${process.pid}`);
      // Released on close: the next command gets in (and finds no tables yet).
      const after = await minitwit(["messages"], { DATA_DIR: dataDir });
      expect(after.code).toBe(3);
      expect(after.stderr).toContain('has no MiniTwit tables: run "minitwit migrate" first');
      const migrated = await minitwit(["migrate"], { DATA_DIR: dataDir });
      expect(migrated.code).toBe(0);
      expect(migrated.stderr).toContain("applied 0001_init");
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
