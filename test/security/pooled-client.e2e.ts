import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { startApp, type TestApp } from "../helpers.ts";
import { run } from "../run.ts";

// A pooled HTTP client (Python's requests.Session, as other teams' simulators use) against both
// ports: about 30% of its requests ask `Connection: close`. Bun closes the socket after such an
// answer; unless the answer says so, the pool reuses the dead socket and the next request fails
// (126 of 1,000 did). Keep-alive requests must keep their connection.

const COUNT = 1000;

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
}, 60_000);
afterAll(() => app.stop());

interface PortResult {
  port: string;
  requests: number;
  failures: number;
  connections: number;
  close_requests: number;
  errors: string[];
}

describe("[security] pooled clients", () => {
  test("[security] requests.Session: no failure on either port, and a new connection only after Connection: close", async () => {
    const script = join(import.meta.dir, "pooled-client.py");
    const result = await run(["python3", script, app.web, app.api, String(COUNT), "20261130"]);
    expect(result.code, result.stderr).toBe(0);
    const ports = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as PortResult);
    expect(ports.map((p) => p.port)).toEqual(["web", "api"]);
    for (const p of ports) {
      console.error(
        `[pooled-client] ${p.port}: ${p.requests} requests, ${p.failures} failures, ${p.close_requests} asked ` +
          `Connection: close, ${p.connections} connections opened`,
      );
      expect(p.errors).toEqual([]);
      expect(p.failures).toBe(0);
      // One connection to begin with, then one after each answer that closed it: never more.
      expect(p.connections).toBeLessThanOrEqual(p.close_requests + 1);
      expect(p.connections).toBeGreaterThanOrEqual(p.close_requests);
      // Keep-alive requests kept their connection: far fewer connections than requests.
      expect(p.connections).toBeLessThan(p.requests / 2);
    }
  }, 300_000);
});
