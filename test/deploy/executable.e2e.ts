// The artefact that ships: dist/minitwit (from `npm run build`), copied alone into an empty folder,
// started there without node_modules, on PostgreSQL and on the embedded database.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import postgres from "postgres";
import { Client } from "../helpers.ts";
import { freePort } from "../ports.ts";
import { run } from "../run.ts";

const BUILT = resolve(import.meta.dir, "../../dist/minitwit");
const PG_SERVER = process.env.TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";

const folder = mkdtempSync(join(tmpdir(), "minitwit-executable-"));
const executable = join(folder, "minitwit");

beforeAll(() => {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` first`);
  copyFileSync(BUILT, executable);
  chmodSync(executable, 0o755);
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

interface Running {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  web: string;
  api: string;
  metrics: string;
  env: Record<string, string>;
  /** Milliseconds from spawn to the first 200 on /health. */
  startupMs: number;
  output(): Promise<string>;
  stop(): Promise<number>;
}

/** Only what the program needs: nothing from this test process leaks into the executable. */
function baseEnv(extra: Record<string, string>): Record<string, string> {
  return {
    HOME: folder,
    HOST: "127.0.0.1",
    PORT: String(freePort()),
    API_PORT: String(freePort()),
    METRICS_PORT: String(freePort()),
    LOG_LEVEL: "warn",
    ...extra,
  };
}

/** True when nothing listens at the URL's port. */
function refused(url: string): Promise<boolean> {
  return fetch(url).then(
    () => false,
    () => true,
  );
}

/** Runs the executable to completion (a one-shot command) in the empty folder. */
async function runExecutable(args: string[], env: Record<string, string>) {
  const { code, stdout, stderr } = await run([executable, ...args], { cwd: folder, env });
  return { code, output: stdout + stderr };
}

async function start(extra: Record<string, string>): Promise<Running> {
  const env = baseEnv(extra);
  const started = performance.now();
  const proc = Bun.spawn([executable], { cwd: folder, env, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const stdout = new Response(proc.stdout).text();
  const stderr = new Response(proc.stderr).text();
  const output = async () => `${await stdout}${await stderr}`;
  const probe = env.ROLE === "api" ? env.API_PORT : env.PORT;
  let startupMs = -1;
  // PGlite's first start (initdb, migrations) takes seconds, more on a busy machine.
  const deadline = started + 60_000;
  while (performance.now() < deadline && proc.exitCode === null) {
    const ok = await fetch(`http://127.0.0.1:${probe}/health`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) {
      startupMs = performance.now() - started;
      break;
    }
    await Bun.sleep(50);
  }
  if (startupMs < 0) {
    proc.kill("SIGKILL");
    throw new Error(`the executable did not become healthy:\n${await output()}`);
  }
  return {
    proc,
    env,
    web: `http://127.0.0.1:${env.PORT}`,
    api: `http://127.0.0.1:${env.API_PORT}`,
    metrics: `http://127.0.0.1:${env.METRICS_PORT}`,
    startupMs,
    output,
    async stop() {
      proc.kill("SIGTERM");
      const code = await Promise.race([proc.exited, Bun.sleep(10_000).then(() => -1)]);
      if (code === -1) proc.kill("SIGKILL");
      return code;
    },
  };
}

/** What every deployment must answer: health, a page, the stylesheet, an API call, metrics. */
function servesEverything(name: string, get: () => Running) {
  test(`[executable] ${name}: GET /health answers 200 JSON ok`, async () => {
    const response = await fetch(`${get().web}/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(await response.json()).toEqual({ status: "ok" });
  });

  test(`[executable] ${name}: a visitor registers, signs in, posts and sees the message on /public`, async () => {
    const c = new Client(get().web);
    expect((await c.register("shipper")).status).toBe(200);
    expect((await c.login("shipper")).status).toBe(200);
    const posted = await c.post("/add_message", { text: "shipped in one file" });
    expect(posted.status).toBe(200);
    const page = await c.get("/public");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.text).toContain("Public Timeline");
    expect(page.text).toContain("shipped in one file");
  });

  test(`[executable] ${name}: the embedded stylesheet is served`, async () => {
    const response = await fetch(`${get().web}/static/style.css`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/css");
    expect((await response.text()).length).toBeGreaterThan(100);
  });

  test(`[executable] ${name}: GET /latest on the API port answers {"latest": -1} on a fresh database`, async () => {
    const response = await fetch(`${get().api}/latest`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(await response.json()).toEqual({ latest: -1 });
  });

  test(`[executable] ${name}: GET /metrics on METRICS_PORT answers Prometheus text`, async () => {
    const response = await fetch(`${get().metrics}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const body = await response.text();
    expect(body).toContain("# TYPE http_request_duration_seconds histogram");
    expect(body).toMatch(/http_request_duration_seconds_count\{[^}]*service="web"/);
  });

  test(`[executable] ${name}: \`minitwit healthcheck\` exits 0 against the running server`, async () => {
    const result = await runExecutable(["healthcheck"], get().env);
    expect(result.code).toBe(0);
  });
}

test("[executable] the folder holds the executable alone: no node_modules, no SQL, no assets", () => {
  expect(readdirSync(folder)).toEqual(["minitwit"]);
});

describe("[executable] on PostgreSQL, migrated by the one-shot command", () => {
  const name = `minitwit_exe_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(PG_SERVER, { max: 1, onnotice: () => {} });
  const url = new URL(PG_SERVER);
  url.pathname = `/${name}`;
  let server: Running;

  beforeAll(async () => {
    await admin.unsafe(`CREATE DATABASE ${name}`);
    const migrated = await runExecutable(["migrate"], baseEnv({ DATABASE_URL: url.toString() }));
    expect(migrated.output).toContain("applied 0001_init");
    expect(migrated.code).toBe(0);
    server = await start({ DATABASE_URL: url.toString(), MIGRATE: "false" });
    console.error(`[executable] PostgreSQL mode: first /health 200 after ${server.startupMs.toFixed(0)} ms`);
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  test("[executable] postgres: migrate a second time has nothing to do", async () => {
    const again = await runExecutable(["migrate"], baseEnv({ DATABASE_URL: url.toString() }));
    expect(again.code).toBe(0);
    expect(again.output).toContain("nothing to migrate");
  });

  servesEverything("postgres", () => server);

  test("[executable] postgres: ROLE=web serves the pages only, ROLE=api the API only", async () => {
    const web = await start({ DATABASE_URL: url.toString(), MIGRATE: "false", ROLE: "web" });
    const api = await start({ DATABASE_URL: url.toString(), MIGRATE: "false", ROLE: "api" });
    try {
      const page = await fetch(`${web.web}/public`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toContain("text/html");
      expect(await refused(`${web.api}/health`)).toBe(true);
      const health = await fetch(`${api.api}/health`);
      expect(health.status).toBe(200);
      expect(health.headers.get("content-type")).toContain("application/json");
      expect(await refused(`${api.web}/health`)).toBe(true);
      // The image's HEALTHCHECK asks only the ports of its own ROLE.
      expect((await runExecutable(["healthcheck"], web.env)).code).toBe(0);
      expect((await runExecutable(["healthcheck"], api.env)).code).toBe(0);
      expect((await runExecutable(["healthcheck"], { ...api.env, ROLE: "all" })).code).toBe(1);
    } finally {
      expect(await web.stop()).toBe(0);
      expect(await api.stop()).toBe(0);
    }
  });

  test("[executable] postgres: SIGTERM stops the server cleanly with exit code 0", async () => {
    const extra = await start({ DATABASE_URL: url.toString(), MIGRATE: "false" });
    expect(await extra.stop()).toBe(0);
    expect(await refused(`${extra.web}/health`)).toBe(true);
  });
});

describe("[executable] on the embedded database (PGlite), migrating at start", () => {
  let server: Running;
  beforeAll(async () => {
    server = await start({ DATA_DIR: join(folder, "data") });
    console.error(`[executable] PGlite mode: first /health 200 after ${server.startupMs.toFixed(0)} ms`);
  }, 90_000);
  afterAll(() => server?.stop());

  servesEverything("pglite", () => server);

  test("[executable] pglite: the database lives in DATA_DIR beside the executable", () => {
    expect(readdirSync(join(folder, "data"))).toContain("PG_VERSION");
  });
});

describe("[executable] refuses to start in production with the development defaults", () => {
  test("[executable] NODE_ENV=production without SECRET_KEY exits non-zero and says why", async () => {
    const result = await runExecutable([], baseEnv({ NODE_ENV: "production" }));
    expect(result.code).not.toBe(0);
    expect(result.output).toContain("SECRET_KEY must be set in production");
  });

  test("[executable] `minitwit healthcheck` exits 1 when nothing listens", async () => {
    const result = await runExecutable(["healthcheck"], baseEnv({}));
    expect(result.code).toBe(1);
    expect(result.output).toContain("/health");
  });
});
