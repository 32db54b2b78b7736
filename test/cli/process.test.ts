// The command line as a real process: exit codes and stderr when the database is away, in use, or the arguments are bad.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { openDb } from "../../src/db.ts";
import { migrate } from "../../src/migrate.ts";
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

  test("[cli] serve listens for metrics on loopback only unless METRICS_HOST says otherwise", async () => {
    const outside = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
    const [port, apiPort, metricsPort] = [closedPort(), closedPort(), closedPort()];
    const child = Bun.spawn([process.execPath, "src/main.ts", "serve"], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        DATA_DIR: "memory://",
        HOST: "127.0.0.1",
        PORT: String(port),
        API_PORT: String(apiPort),
        METRICS_PORT: String(metricsPort),
        LOG_LEVEL: "silent",
      },
      stdout: "ignore",
      stderr: "pipe",
    });
    try {
      let metrics: Response | undefined;
      for (let i = 0; i < 120 && !metrics; i++) {
        metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).catch(() => undefined);
        if (!metrics) await Bun.sleep(250);
      }
      expect(metrics?.status).toBe(200);
      await metrics?.arrayBuffer();
      if (outside) {
        // The machine's own outside address reaches a socket bound to 0.0.0.0, never one on loopback.
        const refused = await fetch(`http://${outside}:${metricsPort}/metrics`).then(
          () => false,
          () => true,
        );
        expect(refused).toBe(true);
      }
    } finally {
      child.kill("SIGTERM");
      await child.exited;
    }
  }, 60_000);

  test("[cli] serve stopped while it starts (a fresh embedded database) exits 0 once that step ends, the database usable after", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "minitwit-early-stop-"));
    const child = Bun.spawn([process.execPath, "src/main.ts", "serve"], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        DATA_DIR: dataDir,
        HOST: "127.0.0.1",
        PORT: String(closedPort()),
        API_PORT: String(closedPort()),
        METRICS_PORT: String(closedPort()),
        LOG_LEVEL: "silent",
      },
      stdout: "ignore",
      stderr: "pipe",
    });
    try {
      let stderr = "";
      const decoder = new TextDecoder();
      const reader = child.stderr.getReader();
      while (!stderr.includes("starting: opening the database")) {
        const { value, done } = await reader.read();
        if (done) break;
        stderr += decoder.decode(value);
      }
      // Creating an embedded database takes seconds: the signal arrives in the middle of it.
      child.kill("SIGTERM");
      const signalled = performance.now();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        stderr += decoder.decode(value);
      }
      const code = await child.exited;
      expect({ code, signal: child.signalCode }).toEqual({ code: 0, signal: null });
      expect(stderr).toContain("SIGTERM while starting");
      expect(stderr).not.toContain("MiniTwit web pages on");
      expect(performance.now() - signalled).toBeLessThan(20_000); // Docker's stop grace period is 30 s
      const db = await openDb({ dataDir });
      try {
        await migrate(db); // every migration applied or applicable: the folder is a whole database
        await db.exec("CREATE TABLE after_stop (id int)");
      } finally {
        await db.close();
      }
    } finally {
      child.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
