// The `healthcheck` command: asks this container's own /health, for Docker's HEALTHCHECK (no curl in the image).
import type { Config } from "./config.ts";

/** Exits 0 when every port this ROLE serves answers /health with 200, else 1. */
export async function healthcheck(config: Config): Promise<void> {
  const ports = [...(config.role !== "api" ? [config.port] : []), ...(config.role !== "web" ? [config.apiPort] : [])];
  for (const port of ports) {
    const url = `http://127.0.0.1:${port}/health`;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
      if (response.status !== 200) {
        console.error(`${url} answered ${response.status}`);
        process.exit(1);
      }
    } catch (error) {
      console.error(`${url}: ${(error as Error).message}`);
      process.exit(1);
    }
  }
}
