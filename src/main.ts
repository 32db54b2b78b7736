// Entry point of the program and of the compiled executable: `minitwit [command]`.
import { loadConfig } from "./config.ts";
import { openDb } from "./db.ts";
import { healthcheck } from "./healthcheck.ts";
import { migrate } from "./migrate.ts";
import { serve } from "./serve.ts";

async function main(argv: string[]): Promise<void> {
  const config = loadConfig();
  const command = argv[0] ?? "serve";
  if (command === "serve") return serve(config);
  if (command === "healthcheck") return healthcheck(config);
  if (command === "migrate") {
    const db = await openDb({ url: config.databaseUrl, dataDir: config.dataDir });
    const done = await migrate(db);
    console.error(done.length ? `applied ${done.join(", ")}` : "nothing to migrate");
    await db.close();
    return;
  }
  console.error(`unknown command "${command}"; commands: serve, migrate`);
  process.exit(2);
}

await main(Bun.argv.slice(2));
