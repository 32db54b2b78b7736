// Start: configuration, database, migrations, listening on the ports, graceful shutdown.
import { buildApps } from "./app.ts";
import { loadConfig } from "./config.ts";
import { openDb } from "./db.ts";
import { migrate } from "./migrate.ts";

async function main(argv: string[]): Promise<void> {
  const config = loadConfig();
  const db = await openDb({ url: config.databaseUrl, dataDir: config.dataDir, pool: config.databasePool });
  const command = argv[0] ?? "serve";
  if (command === "migrate") {
    const done = await migrate(db);
    console.error(done.length ? `applied ${done.join(", ")}` : "nothing to migrate");
    await db.close();
    return;
  }
  if (config.migrate) await migrate(db);
  const { web } = buildApps({ config, db });
  const servers = [web.listen({ port: config.port, hostname: config.host })];
  console.error(`MiniTwit web on http://localhost:${config.port} (${db.engine})`);

  async function shutdown(): Promise<void> {
    await Promise.all(servers.map((s) => s.stop()));
    await db.close();
    process.exit(0);
  }
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}

await main(Bun.argv.slice(2));
