import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildApps } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/log.ts";
import {
  createMetrics,
  type Metrics,
  methodLabel,
  metricsRoutes,
  recountRows,
  routeLabel,
  statusLabel,
} from "../src/metrics.ts";
import { businessEvent, statusOf } from "../src/observe.ts";
import { Client, listenApps, type TestDb, testDb } from "./helpers.ts";

let store: TestDb;
let metrics: Metrics;
let web: string;
let api: string;
let stop: () => Promise<void>;

beforeAll(async () => {
  metrics = createMetrics({ version: "9.9.9-test" });
  store = await testDb({ observe: metrics.observeQuery });
  metrics.watch(store.db);
  const config = loadConfig({ LOG_LEVEL: "silent", APP_VERSION: "9.9.9-test" });
  const apps = buildApps({ config, db: store.db, metrics, logger: createLogger(config) });
  const servers = listenApps(apps);
  ({ web, api } = servers);
  stop = servers.stop;
});
afterAll(async () => {
  await stop();
  await store.close();
});

/** The exposition text, as served on the metrics port. */
async function scrape(): Promise<string> {
  // Requests are recorded after the response went out (Elysia's afterResponse): let that run.
  await Bun.sleep(20);
  const response = await metricsRoutes(metrics).handle(new Request("http://metrics/metrics"));
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/plain");
  return response.text();
}

/** The value of one sample line, e.g. `minitwit_users` or `x_count{a="b"}`; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function count(text: string, labels: string): number | undefined {
  return sample(text, `http_request_duration_seconds_count{${labels}}`);
}

describe("[metrics] request histogram", () => {
  test("[metrics] route is the template: two users' pages share one series, no name in any label", async () => {
    await new Client(web).get("/alice-nobody");
    await new Client(web).get("/bob-nobody");
    const text = await scrape();
    expect(count(text, 'service="web",method="GET",route="/:username",status="404"')).toBe(2);
    expect(text).not.toContain("alice-nobody");
    expect(text).not.toContain("bob-nobody");
  });

  test("[metrics] unmatched paths share the one value `unmatched`, on both services", async () => {
    for (const path of ["/x/y/z1", "/x/y/z2", "/a/b/c/d"]) await new Client(web).get(path);
    for (const path of ["/nope1", "/nope2"]) await fetch(`${api}${path}`);
    const text = await scrape();
    expect(count(text, 'service="web",method="GET",route="unmatched",status="404"')).toBe(3);
    expect(count(text, 'service="api",method="GET",route="unmatched",status="404"')).toBeGreaterThanOrEqual(2);
    expect(text).not.toContain("z1");
  });

  test("[metrics] a returned redirect counts as 302 or 303, the status the client saw", async () => {
    const anonymous = await new Client(web).get("/", false);
    expect(anonymous.status).toBe(302);
    const c = new Client(web);
    const registered = await c.register("metric-redirect");
    expect(registered.status).toBe(200);
    const text = await scrape();
    expect(count(text, 'service="web",method="GET",route="/",status="302"')).toBeGreaterThanOrEqual(1);
    expect(count(text, 'service="web",method="GET",route="/",status="200"')).toBeUndefined();
    expect(count(text, 'service="web",method="POST",route="/register",status="303"')).toBeGreaterThanOrEqual(1);
  });

  test("[metrics] the buckets include the simulator's 0.3 s budget", async () => {
    const text = await scrape();
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0\.3",service="web"/);
  });

  test("[metrics] label helpers bound methods and statuses", () => {
    expect(routeLabel(undefined)).toBe("unmatched");
    expect(routeLabel("/:username")).toBe("/:username");
    expect(statusLabel(303)).toBe("303");
    expect(statusLabel(1000)).toBe("0");
    expect(statusOf(new Response(null, { status: 303 }), 200)).toBe(303);
    expect(statusOf("page", 200)).toBe(200);
    expect(statusOf(undefined, "Not Found")).toBe(404);
  });

  test("[metrics] method label is bounded: unknown methods share `OTHER`", () => {
    expect(methodLabel("get")).toBe("GET");
    expect(methodLabel("PROPFIND")).toBe("OTHER");
  });
});

describe("[metrics] business counters", () => {
  test("[metrics] registration, sign-in outcomes, posts, follows and unfollows on the web are counted", async () => {
    const before = await scrape();
    const c = new Client(web);
    await c.register("counted-a");
    await new Client(web).register("counted-b");
    await c.login("counted-a", "wrong");
    await c.login("counted-a");
    await c.post("/add_message", { text: "hello metrics" });
    await c.post("/add_message", { text: "" });
    await c.post("/counted-b/follow", {});
    await c.post("/counted-b/unfollow", {});
    const after = await scrape();
    const delta = (series: string) => (sample(after, series) ?? 0) - (sample(before, series) ?? 0);
    expect(delta('minitwit_registrations_total{service="web"}')).toBe(2);
    expect(delta('minitwit_logins_total{outcome="failure"}')).toBe(1);
    expect(delta('minitwit_logins_total{outcome="success"}')).toBe(1);
    expect(delta('minitwit_messages_posted_total{service="web"}')).toBe(1);
    expect(delta('minitwit_follows_total{service="web"}')).toBe(1);
    expect(delta('minitwit_unfollows_total{service="web"}')).toBe(1);
    expect(sample(after, 'minitwit_registrations_total{service="api"}')).toBeDefined();
  });

  test("[metrics] the simulator API's successes are read from route, 204 and body", () => {
    const ok = (route: string, body: unknown = {}) =>
      businessEvent("api", { method: "POST", route, status: 204, body });
    expect(ok("/register")).toBe("registration");
    expect(ok("/msgs/:username")).toBe("message");
    expect(ok("/fllws/:username", { follow: "b" })).toBe("follow");
    expect(ok("/fllws/:username", { unfollow: "b" })).toBe("unfollow");
    expect(businessEvent("api", { method: "POST", route: "/register", status: 400, body: {} })).toBeUndefined();
    expect(businessEvent("api", { method: "GET", route: "/msgs/:username", status: 200, body: {} })).toBeUndefined();
  });
});

describe("[metrics] gauges", () => {
  test("[metrics] users, messages, follows and flagged come from row_counts, kept by triggers", async () => {
    const { db } = store;
    const before = await scrape();
    await db.exec("INSERT INTO users (username, email, pw_hash) VALUES ('g1', 'g1@x', 'h'), ('g2', 'g2@x', 'h')");
    await db.exec(
      "INSERT INTO messages (author_id, text) SELECT id, 'm' || g FROM users, generate_series(1, 5) g WHERE username = 'g1'",
    );
    await db.exec(
      "INSERT INTO follows (who_id, whom_id) SELECT a.id, b.id FROM users a, users b WHERE a.username = 'g1' AND b.username = 'g2'",
    );
    await db.exec("INSERT INTO follows (who_id, whom_id) SELECT who_id, whom_id FROM follows ON CONFLICT DO NOTHING");
    await db.exec("UPDATE messages SET flagged = true WHERE text IN ('m1', 'm2')");
    await db.exec("UPDATE messages SET flagged = false WHERE text = 'm2'");
    await db.exec("DELETE FROM messages WHERE text IN ('m4', 'm5')");
    const after = await scrape();
    const delta = (series: string) => (sample(after, series) ?? 0) - (sample(before, series) ?? 0);
    expect(delta("minitwit_users")).toBe(2);
    expect(delta("minitwit_messages")).toBe(3);
    expect(delta("minitwit_follows")).toBe(1);
    expect(delta("minitwit_flagged_messages")).toBe(1);
  });

  test("[metrics] deleting a user cascades into the message and follow counts", async () => {
    const before = await scrape();
    await store.db.exec("DELETE FROM users WHERE username = 'g1'");
    const after = await scrape();
    const delta = (series: string) => (sample(after, series) ?? 0) - (sample(before, series) ?? 0);
    expect(delta("minitwit_users")).toBe(-1);
    expect(delta("minitwit_messages")).toBe(-3);
    expect(delta("minitwit_follows")).toBe(-1);
    expect(delta("minitwit_flagged_messages")).toBe(-1);
  });

  test("[metrics] recountRows repairs counts after rows were loaded with the triggers disabled", async () => {
    const { db } = store;
    const before = sample(await scrape(), "minitwit_users") ?? 0;
    await db.exec("ALTER TABLE users DISABLE TRIGGER users_count_insert");
    await db.exec("INSERT INTO users (username, email, pw_hash) VALUES ('bulk1', 'b1@x', 'h'), ('bulk2', 'b2@x', 'h')");
    await db.exec("ALTER TABLE users ENABLE TRIGGER users_count_insert");
    expect(sample(await scrape(), "minitwit_users")).toBe(before);
    await recountRows(db);
    expect(sample(await scrape(), "minitwit_users")).toBe(before + 2);
  });

  test("[metrics] concurrent writers leave the counts exact", async () => {
    const before = sample(await scrape(), "minitwit_users") ?? 0;
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        store.db.exec(`INSERT INTO users (username, email, pw_hash) VALUES ('conc${i}', 'c${i}@x', 'h')`),
      ),
    );
    expect(sample(await scrape(), "minitwit_users")).toBe(before + 40);
  });

  test("[metrics] latest is -1 before the simulator sent one, then its value", async () => {
    expect(sample(await scrape(), "minitwit_latest")).toBe(-1);
    await store.db.exec("INSERT INTO latest (value) VALUES (4242)");
    expect(sample(await scrape(), "minitwit_latest")).toBe(4242);
  });

  test("[metrics] database query duration by SQL file name, pool use, CPU, build info", async () => {
    await new Client(web).get("/public");
    const text = await scrape();
    const query = 'minitwit_db_query_duration_seconds_count{query="messages/public_timeline",outcome="ok"}';
    expect(sample(text, query)).toBeGreaterThan(0);
    expect(sample(text, "minitwit_db_pool_connections_in_use")).toBeGreaterThanOrEqual(0);
    expect(sample(text, "minitwit_db_pool_connections_max")).toBeGreaterThanOrEqual(1);
    expect(sample(text, "minitwit_cpu_load_percent")).toBeGreaterThanOrEqual(0);
    expect(sample(text, `minitwit_build_info{version="9.9.9-test",bun_version="${Bun.version}"}`)).toBe(1);
    expect(sample(text, "process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(text).toContain("nodejs_eventloop_lag_p99_seconds");
  });
});

describe("[metrics] exposure", () => {
  test("[metrics] neither public port serves /metrics", async () => {
    const page = await fetch(`${web}/metrics`);
    expect(page.status).toBe(404);
    expect(await page.text()).not.toContain("http_request_duration_seconds");
    const json = await fetch(`${api}/metrics`);
    expect(json.status).toBe(404);
    expect(await json.text()).not.toContain("http_request_duration_seconds");
  });

  test("[metrics] two programs in one process keep separate registries", () => {
    const a = createMetrics({ version: "a", defaults: false });
    const b = createMetrics({ version: "b", defaults: false });
    a.request("web", "GET", "/", 200, 0.01);
    expect(a.registry).not.toBe(b.registry);
  });
});
