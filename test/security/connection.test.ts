import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildApps } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { listenApps, RawConnection, startApp, type TestApp } from "../helpers.ts";

// An answer says `Connection: close` whenever the connection closes after it (a pooled client then
// opens a new one instead of reusing a dead socket); keep-alive connections stay open.

const SIM_AUTH = `Basic ${btoa("simulator:super_safe!")}`;

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
}, 60_000);
afterAll(() => app.stop());

/** A request of each kind of answer: success, redirect, client errors, refusals, on both ports. */
const REQUESTS: [port: "web" | "api", method: string, path: string, headers?: Record<string, string>, body?: string][] =
  [
    ["web", "GET", "/health"],
    ["web", "GET", "/public"],
    ["web", "GET", "/public/"],
    ["web", "GET", "/nobody"],
    ["web", "POST", "/add_message", { "content-type": "application/x-www-form-urlencoded" }, "text=x"],
    ["web", "POST", "/login", { "sec-fetch-site": "cross-site" }, ""],
    ["web", "POST", "/login", { "content-type": "application/json" }, "[".repeat(100)],
    ["web", "POST", "/login", {}, "x".repeat(70_000)],
    ["api", "GET", "/latest"],
    ["api", "GET", "/msgs", { authorization: SIM_AUTH }],
    ["api", "GET", "/msgs"],
    ["api", "GET", "/msgs/nobody", { authorization: SIM_AUTH }],
    ["api", "DELETE", "/msgs"],
    ["api", "POST", "/msgs/nobody", { authorization: SIM_AUTH, "content-type": "application/json" }, "{"],
  ];

describe("[security] connection handling", () => {
  for (const [port, method, path, headers = {}, body = ""] of REQUESTS) {
    test(`[security] ${port} ${method} ${path}: kept alive without Connection: close, closed and said so with it`, async () => {
      const connection = await new RawConnection(port === "web" ? app.web : app.api).open();
      try {
        for (let i = 0; i < 3; i++) {
          connection.send(method, path, headers, body);
          const answer = await connection.answer();
          expect(answer.status).toBeLessThan(500);
          expect(answer.headers.get("connection") ?? "keep-alive").not.toMatch(/close/i);
        }
        expect(connection.isClosed).toBe(false);
        connection.send(method, path, { ...headers, connection: "close" }, body);
        const last = await connection.answer();
        expect(last.headers.get("connection")).toBe("close");
        await Promise.race([connection.closed, Bun.sleep(2000)]);
        expect(connection.isClosed).toBe(true);
      } finally {
        connection.close();
      }
    });
  }

  test("[security] every spelling of the close option is answered with Connection: close", async () => {
    for (const value of ["Close", "CLOSE", "keep-alive, close", "close, TE"]) {
      const connection = await new RawConnection(app.web).open();
      try {
        connection.send("GET", "/health", { connection: value });
        const answer = await connection.answer();
        expect(answer.headers.get("connection"), value).toBe("close");
        await Promise.race([connection.closed, Bun.sleep(2000)]);
        expect(connection.isClosed, value).toBe(true);
      } finally {
        connection.close();
      }
    }
  });

  test("[security] once the process is stopping, every answer says Connection: close (Bun closes after it)", async () => {
    let stopping = false;
    const config = loadConfig({ LOG_LEVEL: "silent" });
    const servers = listenApps(buildApps({ config, db: app.db, stopping: () => stopping }));
    const kinds: [base: string, method: string, path: string][] = [
      [servers.web, "GET", "/public"],
      [servers.web, "GET", "/"],
      [servers.web, "GET", "/nobody"],
      [servers.web, "POST", "/login"],
      [servers.api, "GET", "/latest"],
      [servers.api, "GET", "/msgs"],
    ];
    try {
      for (const [base, method, path] of kinds) {
        stopping = false;
        const connection = await new RawConnection(base).open();
        try {
          connection.send(method, path);
          const before = await connection.answer();
          expect(before.headers.get("connection"), `${method} ${path}`).toBeUndefined();
          stopping = true;
          connection.send(method, path);
          const after = await connection.answer();
          expect(after.status, `${method} ${path}`).toBeLessThan(500);
          expect(after.headers.get("connection"), `${method} ${path}`).toBe("close");
        } finally {
          connection.close();
        }
      }
    } finally {
      await servers.stop();
    }
  });
});
