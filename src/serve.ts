// The `serve` command: open the database, migrate, listen on the ports of this ROLE, stop cleanly.
import { buildApps } from "./app.ts";
import type { Config } from "./config.ts";
import { HASH } from "./data/users.ts";
import { type Db, openDb } from "./db.ts";
import { createLogger } from "./log.ts";
import { createMetrics, metricsRoutes } from "./metrics.ts";
import { migrate } from "./migrate.ts";
import { SERVE_LIMITS } from "./security.ts";

export async function serve(config: Config): Promise<void> {
  // A stop asked for while starting (a rollback or a scale-down meets tasks that are still opening the
  // database or migrating): nothing is served yet, so nothing needs draining. The step under way ends
  // (a half-created embedded database or a half-run migration would be worse), then the database is
  // closed and the process exits 0, rather than a PID 1 ignoring SIGTERM until Docker's stop grace
  // period ends in SIGKILL.
  let starting = true;
  const stopWhileStarting = (signal: string) => {
    if (!starting) return;
    starting = false;
    console.error(`${signal} while starting: stopping once the step under way ends, before serving`);
  };
  const onTerm = () => stopWhileStarting("SIGTERM");
  const onInt = () => stopWhileStarting("SIGINT");
  process.on("SIGTERM", onTerm);
  process.on("SIGINT", onInt);
  const stopped = async (db: Db) => {
    await db.close().catch(() => {});
    process.exit(0);
  };
  console.error("starting: opening the database");

  const metrics = createMetrics({ version: config.version });
  const logger = createLogger(config);
  const db = await openDb({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    pool: config.databasePool,
    statementTimeout: config.databaseTimeout,
    observe: metrics.observeQuery,
  });
  if (!starting) return stopped(db);
  if (config.migrate) await migrate(db);
  if (!starting) return stopped(db);
  metrics.watch(db);
  let stopping = false;
  const apps = buildApps({ config, db, metrics, logger, stopping: () => stopping });
  // Before the ports open (and /health answers, which is when the proxy sends traffic): the pool's
  // connections and the password hasher's first run would otherwise cost the first burst of requests
  // after a start or a rolling update up to 0.3 s each, the simulator's timeout.
  // A database that is away now is not fatal: requests answer 503 until it returns (security.md).
  await Promise.all([
    db.connect().catch((error) => console.error(`database not reachable yet: ${(error as Error).message}`)),
    Bun.password.hash("warm-up", HASH),
  ]);
  if (!starting) return stopped(db);
  starting = false;
  process.off("SIGTERM", onTerm);
  process.off("SIGINT", onInt);
  const servers: (Bun.Server<unknown> | null)[] = [];
  // Prometheus scrapes this port on every replica; the proxy publishes only the web and API ports. It
  // listens on loopback unless METRICS_HOST says otherwise: metrics tell more than the pages do.
  servers.push(metricsRoutes(metrics).listen({ port: config.metricsPort, hostname: config.metricsHost }).server);
  console.error(`metrics on http://${config.metricsHost}:${config.metricsPort}/metrics`);
  if (config.role !== "api") {
    servers.push(apps.web.listen({ port: config.port, hostname: config.host, ...SERVE_LIMITS }).server);
    console.error(`MiniTwit web pages on http://localhost:${config.port}`);
  }
  if (config.role !== "web") {
    servers.push(apps.api.listen({ port: config.apiPort, hostname: config.host, ...SERVE_LIMITS }).server);
    console.error(`MiniTwit simulator API on http://localhost:${config.apiPort}`);
  }
  console.error(`database: ${db.engine === "postgres" ? "PostgreSQL" : `embedded PGlite in ${config.dataDir}`}`);

  async function shutdown(signal: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    // Keep accepting for the delay (the proxy stops routing here meanwhile), then stop accepting;
    // requests in flight finish (their writes commit and get their answer) within the grace period,
    // then whatever is left is cut, the pool closed, and the process exits 0. A connection that
    // reaches the listener as it closes is reset by the kernel: the delay is what keeps those away.
    if (config.shutdownDelay > 0) await Bun.sleep(config.shutdownDelay);
    console.error(`${signal}: finishing requests in flight (at most ${config.shutdownGrace} ms)`);
    const drained = Promise.all(servers.map((s) => s?.stop(false))).then(() => true);
    const late = new Promise<false>((resolve) => setTimeout(resolve, config.shutdownGrace, false));
    if (!(await Promise.race([drained, late]))) {
      console.error(`${signal}: grace period over, closing the remaining connections`);
      await Promise.all(servers.map((s) => s?.stop(true)));
    }
    await db.close().catch(() => {});
    process.exit(0);
  }
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}
