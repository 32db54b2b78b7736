// The database taken away mid-run through a loopback TCP relay between the program and PostgreSQL:
// cut (connections reset, new ones refused) and stalled (connections open, nothing forwarded).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildApps } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { type Db, openDb } from "../../src/db.ts";
import { SERVE_LIMITS } from "../../src/security.ts";
import { spawnProgram } from "../api/program.ts";
import { Client, type TestDb, testDb } from "../helpers.ts";
import { relay } from "./relay.ts";

process.env.TEST_DATABASE_URL ??= "postgres://postgres@127.0.0.1:5432/postgres";
const TIMEOUT = 1000; // DATABASE_TIMEOUT_MS of the program under test
const BOUND = 2 * TIMEOUT + 1500; // the slowest answer allowed while the database is away

interface Outcome {
  what: string;
  status: number;
  ms: number;
}

let store: TestDb;
let db: Db;
let net: ReturnType<typeof relay>;
let web: string;
let api: string;
let author: Client;
let stopApps: () => Promise<void>;

beforeAll(async () => {
  store = await testDb();
  const url = new URL(store.url as string);
  net = relay({ hostname: url.hostname, port: Number(url.port || 5432) });
  url.hostname = "127.0.0.1";
  url.port = String(net.port);
  db = await openDb({ url: url.toString(), pool: 4, statementTimeout: TIMEOUT });
  const apps = buildApps({ config: loadConfig({ LOG_LEVEL: "silent" }), db });
  const w = apps.web.listen({ port: 0, hostname: "127.0.0.1", ...SERVE_LIMITS });
  const a = apps.api.listen({ port: 0, hostname: "127.0.0.1", ...SERVE_LIMITS });
  web = `http://127.0.0.1:${w.server?.port}`;
  api = `http://127.0.0.1:${a.server?.port}`;
  stopApps = async () => {
    await w.stop(true);
    await a.stop(true);
  };
  author = new Client(web);
  await author.register("faulty");
  await author.login("faulty");
}, 30_000);

afterAll(async () => {
  await stopApps();
  net.close();
  await db.close().catch(() => {});
  await store.close();
});

/** One request, timed; a request that does not answer within 10 s counts as hung (status 0). */
async function probe(what: string, base: string, path: string, init: RequestInit = {}): Promise<Outcome> {
  const start = performance.now();
  try {
    const r = await fetch(base + path, { redirect: "manual", signal: AbortSignal.timeout(10_000), ...init });
    await r.arrayBuffer();
    return { what, status: r.status, ms: performance.now() - start };
  } catch {
    return { what, status: 0, ms: performance.now() - start };
  }
}

function round(tag: string): Promise<Outcome[]> {
  return Promise.all([
    probe("web /health", web, "/health"),
    probe("api /health", api, "/health"),
    probe("web /public", web, "/public"),
    probe("web /faulty", web, "/faulty"),
    probe("api GET /msgs", api, "/msgs?no=5", { headers: { authorization: `Basic ${btoa("simulator:super_safe!")}` } }),
    probe("web POST /add_message", web, "/add_message", {
      method: "POST",
      headers: { cookie: author.cookie },
      body: new URLSearchParams({ text: `during ${tag}` }),
    }),
  ]);
}

/** Rounds of requests until `until` holds for a whole round, or the time runs out. */
async function rounds(tag: string, until: (o: Outcome[]) => boolean, seconds: number) {
  const all: Outcome[][] = [];
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    const outcome = await round(tag);
    all.push(outcome);
    if (until(outcome)) break;
  }
  return { all, ms: performance.now() - start };
}

/** One line for docs/security.md: how long until the state changed, and the slowest answer. */
function report(phase: string, r: { all: Outcome[][]; ms: number }) {
  const flat = r.all.flat();
  const slowest = Math.max(...flat.map((o) => o.ms));
  const counts = Object.entries(Object.groupBy(flat, (o) => String(o.status))).map(([k, v]) => `${k}×${v?.length}`);
  console.log(
    `[faults] ${phase}: ${Math.round(r.ms)} ms, ${r.all.length} rounds, slowest ${Math.round(slowest)} ms, ${counts.join(" ")}`,
  );
}

const healthy = (o: Outcome[]) => o.every((x) => x.status === 200 || x.status === 303);
const away = (o: Outcome[]) => o.every((x) => x.status === 503);

async function expectUnavailablePages() {
  const page = await fetch(`${web}/public`);
  expect(page.status).toBe(503);
  expect(page.headers.get("content-type")).toContain("text/html");
  expect(await page.text()).toContain("The database is unavailable; please try again shortly");
  const health = await fetch(`${api}/health`);
  expect(health.status).toBe(503);
  expect(health.headers.get("content-type")).toContain("application/json");
  expect(await health.json()).toEqual({ status: "unavailable", error: "database unreachable" });
  const msgs = await fetch(`${api}/msgs`, { headers: { authorization: `Basic ${btoa("simulator:super_safe!")}` } });
  expect(msgs.status).toBe(503);
  expect(msgs.headers.get("content-type")).toContain("application/json");
  expect(await msgs.json()).toEqual({
    status: 503,
    error_msg: "The database is unavailable; please try again shortly",
  });
}

describe("[faults] database outages through a relay", () => {
  test("[faults] all is well through the relay", async () => {
    const outcome = await round("healthy");
    expect(outcome.map((o) => o.status)).toEqual([200, 200, 200, 200, 200, 303]);
  });

  test("[faults] connections cut: 503s within a bounded time, no hung request, recovery without restart", async () => {
    net.cut();
    const down = await rounds("cut", away, 10);
    report("cut until all 503", down);
    const outcomes = down.all.flat();
    expect(outcomes.filter((o) => o.status === 0)).toEqual([]);
    expect(Math.max(...outcomes.map((o) => o.ms))).toBeLessThan(BOUND);
    expect(away(down.all.at(-1) ?? [])).toBe(true);
    expect(outcomes.every((o) => [200, 303, 503].includes(o.status))).toBe(true);
    await expectUnavailablePages();
    const more = await round("still cut");
    expect(more.map((o) => o.status)).toEqual([503, 503, 503, 503, 503, 503]);
    expect(Math.max(...more.map((o) => o.ms))).toBeLessThan(BOUND);

    net.restore();
    const up = await rounds("after cut", healthy, 15);
    report("restored after cut until all well", up);
    expect(healthy(up.all.at(-1) ?? [])).toBe(true);
    expect(up.all.flat().filter((o) => o.status === 0)).toEqual([]);
    const page = await author.get("/faulty");
    expect(page.status).toBe(200);
    expect(page.text).toContain("during after cut");
  }, 60_000);

  test("[faults] network stalled: 503s within a bounded time, no hung request, recovery without restart", async () => {
    net.stall();
    const down = await rounds("stall", away, 15);
    report("stall until all 503", down);
    const outcomes = down.all.flat();
    expect(outcomes.filter((o) => o.status === 0)).toEqual([]);
    expect(Math.max(...outcomes.map((o) => o.ms))).toBeLessThan(BOUND);
    expect(away(down.all.at(-1) ?? [])).toBe(true);
    await expectUnavailablePages();

    net.restore();
    const up = await rounds("after stall", healthy, 15);
    report("restored after stall until all well", up);
    expect(healthy(up.all.at(-1) ?? [])).toBe(true);
    expect(up.all.flat().filter((o) => o.status === 0)).toEqual([]);
    expect((await author.get("/faulty")).text).toContain("during after stall");
  }, 60_000);
});

describe("[faults] a replica started while the database is away", () => {
  test("[faults] it opens its ports, answers 503, and serves once the database is back, without restart", async () => {
    const url = new URL(store.url as string);
    const line = relay({ hostname: url.hostname, port: Number(url.port || 5432) });
    line.cut();
    url.hostname = "127.0.0.1";
    url.port = String(line.port);
    const program = spawnProgram({
      DATABASE_URL: url.toString(),
      DATABASE_TIMEOUT_MS: String(TIMEOUT),
      // As the stack's replicas: the one-shot migration job has run already.
      MIGRATE: "false",
    });
    try {
      const health = () =>
        fetch(`${program.web}/health`).then(
          (r) => r.status,
          () => 0,
        );
      let status = 0;
      for (let i = 0; i < 300 && status === 0 && !program.exited(); i++) {
        status = await health();
        if (status === 0) await Bun.sleep(100);
      }
      expect(program.exited()).toBe(false);
      expect(status).toBe(503);

      line.restore();
      for (let i = 0; i < 100 && status !== 200; i++) {
        await Bun.sleep(100);
        status = await health();
      }
      expect(status).toBe(200);
      expect((await fetch(`${program.web}/faulty`)).status).toBe(200);
    } finally {
      await program.stop();
      line.close();
    }
    expect(await program.log()).toContain("database not reachable yet");
  }, 60_000);
});
