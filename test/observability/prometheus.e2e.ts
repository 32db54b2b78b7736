// The observability test with real servers: a web and an API replica of the program on PostgreSQL,
// Debian's Prometheus scraping them with the project's rules, test traffic flowing; every dashboard
// expression and recording rule returns data, every dashboard SQL query returns rows, every
// access-log line parses with the ECS fields.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { resolveDataSources } from "../../observability/dashboards/datasources.ts";
import { expandMacros } from "../../observability/dashboards/postgres.ts";
import { Client } from "../helpers.ts";
import { freePort } from "../ports.ts";

const ROOT = join(import.meta.dir, "..", "..");
const SERVER = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const PORTS = {
  web: freePort(),
  api: freePort(),
  webMetrics: freePort(),
  apiMetrics: freePort(),
  prometheus: freePort(),
};
const WEB = `http://127.0.0.1:${PORTS.web}`;
const API = `http://127.0.0.1:${PORTS.api}`;
const PROM = `http://127.0.0.1:${PORTS.prometheus}`;
const SIM_AUTH = { authorization: `Basic ${btoa("simulator:super_safe!")}` };

interface Target {
  refId: string;
  datasource: { uid: string };
  expr?: string;
  rawSql?: string;
}
interface Panel {
  id: number;
  title: string;
  targets?: Target[];
}

const dashboards = readdirSync(join(ROOT, "observability/grafana/dashboards"))
  .filter((f) => f.endsWith(".json"))
  // As the provisioned Grafana runs them: the data-source variables resolved to their defaults.
  .map((f) => ({
    file: f,
    ...resolveDataSources(JSON.parse(readFileSync(join(ROOT, "observability/grafana/dashboards", f), "utf8"))),
  }));
const targets = dashboards.flatMap((d: { file: string; panels: Panel[] }) =>
  d.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `${d.file} #${p.id} ${p.title} ${t.refId}`, ...t }))),
);
const promTargets = targets.filter((t) => t.datasource.uid === "prometheus");
const sqlTargets = targets.filter((t) => t.datasource.uid === "postgres");
const recorded = [
  ...readFileSync(join(ROOT, "observability/prometheus/rules.yml"), "utf8").matchAll(/^\s*- record:\s*(\S+)/gm),
].map((m) => m[1] as string);

const dir = mkdtempSync(join(tmpdir(), "minitwit-obs-"));
const dbName = `minitwit_obs_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
const admin = postgres(SERVER, { max: 1, onnotice: () => {} });
let sql: postgres.Sql;
const processes: { name: string; proc: Bun.Subprocess; log: string }[] = [];
let traffic: Promise<void> | undefined;
let flowing = true;

function start(name: string, cmd: string[], env: Record<string, string> = {}) {
  const log = join(dir, `${name}.log`);
  const proc = Bun.spawn({
    cmd,
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdout: Bun.file(log),
    stderr: Bun.file(join(dir, `${name}.err`)),
  });
  processes.push({ name, proc, log });
}

async function until<T>(what: string, check: () => Promise<T | undefined>, seconds = 30): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await Bun.sleep(250);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
}

/** Re-checks until nothing is missing (rate() needs two scrapes, rules an evaluation), then the last list. */
async function settle(seconds: number, missing: () => Promise<string[]>): Promise<string[]> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const list = await missing();
    if (list.length === 0 || Date.now() > deadline) return list;
    await Bun.sleep(500);
  }
}

async function promQuery(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const response = await fetch(`${PROM}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await response.json()) as { status: string; error?: string; data: { result: unknown } };
  if (body.status !== "success") throw new Error(`${expr}: ${body.error}`);
  return body.data.result as { metric: Record<string, string>; value: [number, string] }[];
}

/** One round of what users and the simulator do: pages, forms, API calls, a few mistakes. */
async function round(n: number): Promise<void> {
  const me = `obs user ${n}`;
  const other = `obs user ${n - 1}`;
  const c = new Client(WEB);
  await c.register(me);
  await c.login(me, "wrong password");
  await c.login(me);
  await c.post("/add_message", { text: `message ${n} from the observability test` });
  await c.get("/public");
  await c.get(`/${encodeURIComponent(me)}`);
  if (n > 0) {
    await c.post(`/${encodeURIComponent(other)}/follow`, {});
    await c.get("/");
    await c.post(`/${encodeURIComponent(other)}/unfollow`, {});
  }
  await c.get("/no/such/page");
  await c.logout();
  // The simulator API (JSON 404s until it exists: they still make series).
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${API}${path}`, { ...init, headers: { ...SIM_AUTH, "content-type": "application/json", ...init.headers } })
      .then((r) => r.arrayBuffer())
      .catch(() => undefined);
  const sim = `sim user ${n}`;
  await api(`/register?latest=${n * 10 + 1}`, {
    method: "POST",
    body: JSON.stringify({ username: sim, email: `sim${n}@example.com`, pwd: "sim-secret" }),
  });
  await api(`/msgs/${encodeURIComponent(sim)}?latest=${n * 10 + 2}`, {
    method: "POST",
    body: JSON.stringify({ content: `simulated message ${n}` }),
  });
  await api(`/msgs?no=20&latest=${n * 10 + 3}`);
  if (n > 0) {
    const follow = JSON.stringify({ follow: `sim user ${n - 1}` });
    await api(`/fllws/${encodeURIComponent(sim)}?latest=${n * 10 + 4}`, { method: "POST", body: follow });
    const unfollow = JSON.stringify({ unfollow: `sim user ${n - 1}` });
    await api(`/fllws/${encodeURIComponent(sim)}?latest=${n * 10 + 5}`, { method: "POST", body: unfollow });
  }
  await api("/latest");
  await api("/no-such-endpoint");
}

beforeAll(async () => {
  await admin.unsafe(`CREATE DATABASE ${dbName}`);
  const url = new URL(SERVER);
  url.pathname = `/${dbName}`;
  sql = postgres(url.toString(), { max: 2, onnotice: () => {} });
  const common = {
    DATABASE_URL: url.toString(),
    HOST: "127.0.0.1",
    PORT: String(PORTS.web),
    API_PORT: String(PORTS.api),
    LOG_LEVEL: "info",
    APP_VERSION: "e2e",
    TRUSTED_PROXIES: "",
  };
  // Two replicas as in the stack: each runs the migrations at start, under the advisory lock.
  start("web", [process.execPath, "src/main.ts"], { ...common, ROLE: "web", METRICS_PORT: String(PORTS.webMetrics) });
  start("api", [process.execPath, "src/main.ts"], { ...common, ROLE: "api", METRICS_PORT: String(PORTS.apiMetrics) });

  const config = join(dir, "prometheus.yml");
  writeFileSync(
    config,
    `global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - ${join(ROOT, "observability/prometheus/rules.yml")}
scrape_configs:
  - job_name: prometheus
    static_configs: [{ targets: ["127.0.0.1:${PORTS.prometheus}"] }]
  - job_name: web
    static_configs: [{ targets: ["127.0.0.1:${PORTS.webMetrics}"] }]
  - job_name: api
    static_configs: [{ targets: ["127.0.0.1:${PORTS.apiMetrics}"] }]
`,
  );
  start("prometheus", [
    "prometheus",
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir, "tsdb")}`,
    `--web.listen-address=127.0.0.1:${PORTS.prometheus}`,
    "--log.level=warn",
  ]);

  await until("both replicas", async () => {
    const [w, a] = await Promise.all([fetch(`${WEB}/health`), fetch(`${API}/health`)]);
    return w.ok && a.ok ? true : undefined;
  });
  await round(0);
  // Traffic flows, one bounded round a second, while Prometheus scrapes and the tests query.
  traffic = (async () => {
    for (let n = 1; flowing && n < 120; n++) {
      await round(n);
      await Bun.sleep(1000);
    }
  })();
  await sql`UPDATE messages SET flagged = true WHERE text = 'message 0 from the observability test'`;
  await until("Prometheus to see both replicas up", async () => {
    const up = await promQuery('up{job=~"web|api"} == 1');
    return up.length === 2 ? true : undefined;
  });
}, 90_000);

afterAll(async () => {
  flowing = false;
  await traffic;
  for (const { proc } of processes.reverse()) {
    proc.kill("SIGTERM");
    await Promise.race([proc.exited, Bun.sleep(5000)]);
    if (proc.exitCode === null) proc.kill("SIGKILL");
  }
  await sql?.end();
  await admin.unsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe("[observability] with a real Prometheus", () => {
  test("[observability] the dashboards hold PromQL and SQL targets to check", () => {
    expect(dashboards.map((d) => d.file).sort()).toEqual([
      "business.json",
      "infrastructure.json",
      "service-level.json",
    ]);
    expect(promTargets.length).toBeGreaterThan(20);
    expect(sqlTargets.length).toBeGreaterThanOrEqual(6);
    expect(recorded.length).toBeGreaterThanOrEqual(10);
  });

  test("[observability] Prometheus loaded every rule of rules.yml", async () => {
    const response = await fetch(`${PROM}/api/v1/rules`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    const body = (await response.json()) as { data: { groups: { rules: { name: string; type: string }[] }[] } };
    const loaded = body.data.groups.flatMap((g) => g.rules);
    expect(loaded.filter((r) => r.type === "recording").map((r) => r.name)).toEqual(recorded);
    expect(loaded.filter((r) => r.type === "alerting").length).toBeGreaterThanOrEqual(6);
  });

  test("[observability] every PromQL expression of the dashboards returns at least one series", async () => {
    const missing = await settle(40, async () => {
      const empty: string[] = [];
      for (const t of promTargets)
        if ((await promQuery(t.expr as string)).length === 0) empty.push(`${t.where}: ${t.expr}`);
      return empty;
    });
    expect(missing).toEqual([]);
  }, 60_000);

  test("[observability] every recording rule returns at least one series", async () => {
    const missing = await settle(30, async () => {
      const empty: string[] = [];
      for (const name of recorded) if ((await promQuery(name)).length === 0) empty.push(name);
      return empty;
    });
    expect(missing).toEqual([]);
  }, 45_000);

  test("[observability] the error ratio is 0 for both services without 5xx, not an empty result", async () => {
    const missing = await settle(20, async () => {
      const services = (await promQuery("service:http_request_errors:ratio_rate5m")).map((r) => r.metric.service);
      return ["api", "web"].filter((s) => !services.includes(s));
    });
    expect(missing).toEqual([]);
    const ratios = await promQuery("service:http_request_errors:ratio_rate5m");
    for (const r of ratios) expect(Number(r.value[1])).toBe(0);
  }, 30_000);

  test("[observability] the simulator API's work shows as route series, counters by service and latest", async () => {
    const missing = await settle(20, async () => {
      const checks = [
        'http_request_duration_seconds_count{service="api",route="/msgs/:username",method="POST",status="204"}',
        'http_request_duration_seconds_count{service="api",route="/fllws/:username",method="POST",status="204"}',
        'minitwit_registrations_total{job="api",service="api"} > 0',
        'minitwit_messages_posted_total{job="api",service="api"} > 0',
        'minitwit_follows_total{job="api",service="api"} > 0',
        'minitwit_unfollows_total{job="api",service="api"} > 0',
        'minitwit_messages_posted_total{job="web",service="web"} > 0',
        'minitwit_logins_total{job="web",outcome="failure"} > 0',
        "max(minitwit_latest) > 10",
      ];
      const empty: string[] = [];
      for (const expr of checks) if ((await promQuery(expr)).length === 0) empty.push(expr);
      return empty;
    });
    expect(missing).toEqual([]);
  }, 30_000);

  test("[observability] the business gauges match the database", async () => {
    const [users] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM users`;
    const [flagged] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM messages WHERE flagged`;
    const scraped = await (await fetch(`http://127.0.0.1:${PORTS.webMetrics}/metrics`)).text();
    const users2 = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM users`;
    const value = Number(/^minitwit_users (\S+)$/m.exec(scraped)?.[1]);
    // Traffic keeps registering: the scrape lies between the two exact counts.
    expect(value).toBeGreaterThanOrEqual(users?.n as number);
    expect(value).toBeLessThanOrEqual(users2[0]?.n as number);
    expect(flagged?.n).toBe(1);
    expect(scraped).toMatch(/^minitwit_flagged_messages 1$/m);
  });

  test("[observability] every SQL query of the dashboards runs on the database and returns rows", async () => {
    const to = new Date();
    const from = new Date(to.getTime() - 6 * 3600 * 1000);
    const empty: string[] = [];
    for (const t of sqlTargets) {
      const rows = await sql.unsafe(expandMacros(t.rawSql as string, from, to));
      if (rows.length === 0) empty.push(`${t.where}: ${t.rawSql}`);
    }
    expect(empty).toEqual([]);
  });

  test("[observability] the metrics are served on the metrics ports only", async () => {
    const metrics = await fetch(`http://127.0.0.1:${PORTS.apiMetrics}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get("content-type")).toContain("text/plain");
    expect(await metrics.text()).toContain('minitwit_build_info{version="e2e"');
    for (const base of [WEB, API]) {
      const r = await fetch(`${base}/metrics`);
      expect(r.status).toBe(404);
      expect(await r.text()).not.toContain("http_request_duration_seconds");
    }
  });

  test("[observability] every line the replicas wrote to stdout is an ECS access-log line", async () => {
    await Bun.sleep(200);
    for (const name of ["web", "api"]) {
      const log = processes.find((p) => p.name === name)?.log as string;
      const lines = readFileSync(log, "utf8").split("\n").filter(Boolean);
      expect(lines.length).toBeGreaterThan(10);
      for (const text of lines) {
        const line = JSON.parse(text);
        expect(line["@timestamp"]).toMatch(/^\d{4}-\d\d-\d\dT/);
        expect(line["ecs.version"]).toBeDefined();
        expect(line["log.level"]).toMatch(/^(info|error)$/);
        expect(line["service.name"]).toBe(`minitwit-${name}`);
        expect(line["service.version"]).toBe("e2e");
        expect(line.event.dataset).toBe("minitwit.access");
        expect(Number.isInteger(line.event.duration)).toBe(true);
        expect(line.http.request.id).toBeTruthy();
        expect(line.http.response.status_code).toBeGreaterThanOrEqual(100);
        expect(line.url.path).toStartWith("/");
        expect(line.client.ip).toBe("127.0.0.1");
        expect(text).not.toContain("sim-secret");
        expect(text).not.toContain('"password":"secret"');
      }
    }
  });
});
