// The `serve` command: open the database, migrate, listen on the ports of this ROLE, stop cleanly.
import { buildApps } from "./app.ts";
import type { Config } from "./config.ts";
import { openDb } from "./db.ts";
import { createLogger } from "./log.ts";
import { createMetrics, metricsRoutes } from "./metrics.ts";
import { migrate } from "./migrate.ts";

export async function serve(config: Config): Promise<void> {
  const metrics = createMetrics({ version: config.version });
  const logger = createLogger(config);
  const db = await openDb({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    pool: config.databasePool,
    observe: metrics.observeQuery,
  });
  if (config.migrate) await migrate(db);
  metrics.watch(db);
  const apps = buildApps({ config, db, metrics, logger });
  const servers: (Bun.Server<unknown> | null)[] = [];
  // Prometheus scrapes this port on every replica; the proxy publishes only the web and API ports.
  servers.push(metricsRoutes(metrics).listen({ port: config.metricsPort, hostname: config.host }).server);
  console.error(`metrics on http://localhost:${config.metricsPort}/metrics`);
  if (config.role !== "api") {
    servers.push(apps.web.listen({ port: config.port, hostname: config.host }).server);
    console.error(`MiniTwit web pages on http://localhost:${config.port}`);
  }
  if (config.role !== "web") {
    servers.push(apps.api.listen({ port: config.apiPort, hostname: config.host }).server);
    console.error(`MiniTwit simulator API on http://localhost:${config.apiPort}`);
  }
  console.error(`database: ${db.engine === "postgres" ? "PostgreSQL" : `embedded PGlite in ${config.dataDir}`}`);

  async function shutdown(): Promise<void> {
    // Stop accepting, let requests in flight finish, then close the pool.
    await Promise.all(servers.map((s) => s?.stop(false)));
    await db.close();
    process.exit(0);
  }
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}
