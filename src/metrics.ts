// Prometheus metrics: one registry per program (tests build several), served on METRICS_PORT only.
import { Elysia } from "elysia";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Db } from "./db.ts";
import { type QueryName, queries } from "./sql.ts";

export type Service = "web" | "api";
export type BusinessEvent = "registration" | "message" | "follow" | "unfollow" | "login_success" | "login_failure";

/** Request buckets in seconds; 0.3 s is the simulator's budget, so it must be a boundary. */
export const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.3, 0.5, 1, 2.5, 5, 10];
const QUERY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.3, 1, 5];
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const SERVICES: readonly Service[] = ["web", "api"];

/** The `route` label: the route template, never the raw path; every unmatched path shares one value. */
export function routeLabel(route: string | undefined): string {
  return route && route.length <= 100 ? route : "unmatched";
}

export function methodLabel(method: string): string {
  const upper = method.toUpperCase();
  return METHODS.has(upper) ? upper : "OTHER";
}

export function statusLabel(status: number): string {
  return Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : "0";
}

export interface Metrics {
  readonly registry: Registry;
  /** Records one answered request with the status the client really received. */
  request(service: Service, method: string, route: string | undefined, status: number, seconds: number): void;
  event(service: Service, event: BusinessEvent): void;
  /** A first page of a timeline served as kept (hit) or rendered (src/data/timeline-cache.ts). */
  timelineCache(service: Service, hit: boolean): void;
  /** The `observe` hook of openDb: query duration by SQL file name. */
  observeQuery(name: QueryName, seconds: number, ok: boolean): void;
  /** Reads the business gauges and the pool from this database at each scrape. */
  watch(db: Db): void;
}

export interface MetricsOptions {
  version: string;
  /** prom-client's default process metrics; a process should collect them once. */
  defaults?: boolean;
}

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  const registers = [registry];
  let db: Db | undefined;

  if (options.defaults !== false) collectDefaultMetrics({ register: registry });

  const requests = new Histogram({
    name: "http_request_duration_seconds",
    help: "Time to answer an HTTP request, by service, method, route template and status sent",
    labelNames: ["service", "method", "route", "status"] as const,
    buckets: REQUEST_BUCKETS,
    registers,
  });

  const byService = (name: string, help: string) => {
    const counter = new Counter({ name, help, labelNames: ["service"] as const, registers });
    for (const service of SERVICES) counter.inc({ service }, 0);
    return counter;
  };
  const registrations = byService("minitwit_registrations_total", "Users registered");
  const posted = byService("minitwit_messages_posted_total", "Messages posted");
  const follows = byService("minitwit_follows_total", "Follow actions answered with success");
  const unfollows = byService("minitwit_unfollows_total", "Unfollow actions answered with success");
  const logins = new Counter({
    name: "minitwit_logins_total",
    help: "Sign-in attempts on the web pages, by outcome",
    labelNames: ["outcome"] as const,
    registers,
  });
  logins.inc({ outcome: "success" }, 0);
  logins.inc({ outcome: "failure" }, 0);

  const cached = new Counter({
    name: "minitwit_timeline_cache_requests_total",
    help: "First pages of timelines (web and API) asked for, by whether they were served as kept (hit) or rendered (miss)",
    labelNames: ["service", "result"] as const,
    registers,
  });
  for (const service of SERVICES) for (const result of ["hit", "miss"]) cached.inc({ service, result }, 0);

  const queries = new Histogram({
    name: "minitwit_db_query_duration_seconds",
    help: "Time to run a named SQL query, by SQL file name and outcome",
    labelNames: ["query", "outcome"] as const,
    buckets: QUERY_BUCKETS,
    registers,
  });

  // The counts come from the row_counts table (kept by triggers), one small query per scrape
  // shared by the four gauges; every replica reports the same global value (use max()).
  let pending: Promise<Map<string, number>> | undefined;
  function rowCounts(): Promise<Map<string, number>> {
    if (!db) return Promise.resolve(new Map());
    const from = db;
    pending ??= from
      .query<{ name: string; value: number }>("metrics/row_counts")
      .then((rows) => new Map(rows.map((r) => [r.name, Number(r.value)])))
      .finally(() => {
        pending = undefined;
      });
    return pending;
  }
  const countGauge = (name: string, help: string, key: string) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        if (!db) return;
        try {
          this.set((await rowCounts()).get(key) ?? 0);
        } catch {
          // Database away: keep the last value; `up`, /health and the 503s tell the story.
        }
      },
    });
  countGauge("minitwit_users", "Registered users", "users");
  countGauge("minitwit_messages", "Stored messages", "messages");
  countGauge("minitwit_follows", "Follow relations", "follows");
  countGauge("minitwit_flagged_messages", "Messages flagged by operators (hidden from timelines)", "flagged");

  new Gauge({
    name: "minitwit_latest",
    help: "The simulator's latest value (-1 before any was recorded)",
    registers,
    async collect() {
      if (!db) return;
      try {
        const [row] = await db.query<{ value: number }>("metrics/latest");
        this.set(row ? Number(row.value) : -1);
      } catch {
        // As above.
      }
    },
  });

  new Gauge({
    name: "minitwit_db_pool_connections_in_use",
    help: "Database connections busy with a query or transaction",
    registers,
    collect() {
      if (db) this.set(db.pool().inUse);
    },
  });
  new Gauge({
    name: "minitwit_db_pool_connections_max",
    help: "Size of the database connection pool",
    registers,
    collect() {
      if (db) this.set(db.pool().size);
    },
  });

  let last = { cpu: process.cpuUsage(), at: performance.now() };
  new Gauge({
    name: "minitwit_cpu_load_percent",
    help: "CPU time used by this process since the previous scrape, in percent of one core",
    registers,
    collect() {
      const now = performance.now();
      const used = process.cpuUsage(last.cpu);
      const elapsedMs = now - last.at;
      if (elapsedMs > 0) this.set(((used.user + used.system) / 1000 / elapsedMs) * 100);
      last = { cpu: process.cpuUsage(), at: now };
    },
  });

  const build = new Gauge({
    name: "minitwit_build_info",
    help: "Always 1; the labels say which build runs on which Bun",
    labelNames: ["version", "bun_version"] as const,
    registers,
  });
  build.set({ version: options.version, bun_version: Bun.version }, 1);

  return {
    registry,
    request(service, method, route, status, seconds) {
      requests.observe(
        { service, method: methodLabel(method), route: routeLabel(route), status: statusLabel(status) },
        seconds,
      );
    },
    event(service, event) {
      if (event === "registration") registrations.inc({ service });
      else if (event === "message") posted.inc({ service });
      else if (event === "follow") follows.inc({ service });
      else if (event === "unfollow") unfollows.inc({ service });
      else logins.inc({ outcome: event === "login_success" ? "success" : "failure" });
    },
    timelineCache(service, hit) {
      cached.inc({ service, result: hit ? "hit" : "miss" });
    },
    observeQuery(name, seconds, ok) {
      queries.observe({ query: name, outcome: ok ? "ok" : "error" }, seconds);
    },
    watch(watched) {
      db = watched;
    },
  };
}

/**
 * Recomputes the row counts from the tables (one full count, under a share lock that holds writers
 * back meanwhile): for operators after loading rows with triggers disabled. Never per scrape.
 */
export async function recountRows(db: Db): Promise<void> {
  await db.transaction((tx) => tx.exec(queries["metrics/recount"]));
}

/** GET /metrics in Prometheus' text format; listened on METRICS_PORT by serve.ts, never on a public port. */
export function metricsRoutes(metrics: Metrics) {
  return new Elysia({ name: "metrics" }).get("/metrics", async ({ set }) => {
    set.headers["content-type"] = metrics.registry.contentType;
    return metrics.registry.metrics();
  });
}
