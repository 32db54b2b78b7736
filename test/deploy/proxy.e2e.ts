// The proxy's real configuration (swarm/nginx.conf) run by Debian's nginx on loopback, with the Swarm
// service names replaced by loopback addresses: `web` is the real program, `api` a server that answers
// with the request it received, so what nginx forwards can be read back.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startApp, type TestApp } from "../helpers.ts";
import { freePort } from "../ports.ts";

const CONFIG = resolve(import.meta.dir, "../../swarm/nginx.conf");
const folder = mkdtempSync(join(tmpdir(), "minitwit-proxy-"));

let app: TestApp;
let echo: Bun.Server<unknown>;
let nginx: Bun.Subprocess;
let proxy: string;

beforeAll(async () => {
  app = await startApp();
  echo = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const body = await request.arrayBuffer();
      return Response.json({
        url: request.url,
        headers: request.headers.toJSON(),
        bodyBytes: body.byteLength,
      });
    },
  });
  const port = freePort();
  proxy = `http://127.0.0.1:${port}`;
  const config = readFileSync(CONFIG, "utf8")
    .replaceAll("/tmp/", `${folder}/`)
    // Bun's pipes are sockets, which nginx cannot open as /dev/std*: files instead.
    .replace("/dev/stderr", join(folder, "error.log"))
    .replace("/dev/stdout", join(folder, "access.log"))
    .replace("listen 8080 default_server;", `listen 127.0.0.1:${port} default_server;`)
    .replace("listen 8080;", `listen 127.0.0.1:${port};`)
    .replace("http://tasks.web:5000", app.web)
    .replace("http://tasks.api:5001", `http://127.0.0.1:${echo.port}`);
  expect(config).not.toContain("tasks.web:5000");
  expect(config).not.toContain("tasks.api:5001");
  mkdirSync(join(folder, "tls.d"));
  writeFileSync(join(folder, "nginx.conf"), config);
  nginx = Bun.spawn(["nginx", "-p", folder, "-c", join(folder, "nginx.conf"), "-g", "daemon off;"], {
    stdout: "ignore",
    stderr: "pipe",
  });
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`${proxy}/nginx-health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return;
    if (nginx.exitCode !== null) break;
    await Bun.sleep(50);
  }
  throw new Error(`nginx did not start: ${await new Response(nginx.stderr as ReadableStream).text()}`);
}, 60_000);

afterAll(async () => {
  nginx?.kill("SIGQUIT");
  await nginx?.exited;
  echo?.stop(true);
  await app?.stop();
  rmSync(folder, { recursive: true, force: true });
});

/** What the `api` upstream received for a request through the proxy. */
async function forwarded(init: RequestInit & { path?: string } = {}) {
  const response = await fetch(`${proxy}${init.path ?? "/latest"}`, init);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("application/json");
  return (await response.json()) as { url: string; headers: Record<string, string>; bodyBytes: number };
}

describe("[proxy] routing", () => {
  test("[proxy] GET /nginx-health answers the proxy's own liveness", async () => {
    const response = await fetch(`${proxy}/nginx-health`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    expect(await response.text()).toBe("ok\n");
  });

  test("[proxy] any host name reaches the web pages", async () => {
    const response = await fetch(`${proxy}/public`, { headers: { host: "minitwit.example.com" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(await response.text()).toContain("Public Timeline");
  });

  test("[proxy] api.* host names reach the simulator API", async () => {
    const got = await forwarded({ path: "/latest?latest=3", headers: { host: "api.minitwit.example.com" } });
    expect(new URL(got.url).pathname).toBe("/latest");
    expect(new URL(got.url).search).toBe("?latest=3");
    expect(got.headers.host).toBe("api.minitwit.example.com");
  });

  test("[proxy] the server header does not tell nginx's version", async () => {
    const response = await fetch(`${proxy}/nginx-health`);
    expect(response.status).toBe(200);
    expect(response.headers.get("server")).toBe("nginx");
  });
});

describe("[proxy] client address and request id", () => {
  const api = { host: "api.minitwit.example.com" };

  test("[proxy] X-Forwarded-For is the client's address, replacing what the client claimed", async () => {
    const got = await forwarded({ headers: { ...api, "x-forwarded-for": "203.0.113.9", "x-real-ip": "203.0.113.9" } });
    expect(got.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(got.headers["x-real-ip"]).toBe("127.0.0.1");
    expect(got.headers["x-forwarded-proto"]).toBe("http");
    expect(got.headers["x-forwarded-host"]).toBe("api.minitwit.example.com");
  });

  test("[proxy] a request without an id gets one; a well-formed one is kept, a malformed one replaced", async () => {
    const made = await forwarded({ headers: api });
    expect(made.headers["x-request-id"]).toMatch(/^[0-9a-f]{32}$/);
    const kept = await forwarded({ headers: { ...api, "x-request-id": "sim-1234-abcd" } });
    expect(kept.headers["x-request-id"]).toBe("sim-1234-abcd");
    const replaced = await forwarded({ headers: { ...api, "x-request-id": "<script>alert(1)</script>" } });
    expect(replaced.headers["x-request-id"]).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe("[proxy] request size limit", () => {
  test("[proxy] a body up to 64 KiB is forwarded whole", async () => {
    const body = "x".repeat(64 * 1024);
    const got = await forwarded({ method: "POST", body, headers: { host: "api.minitwit.example.com" } });
    expect(got.bodyBytes).toBe(64 * 1024);
  });

  test("[proxy] a body over 64 KiB is refused with 413 before it reaches the program", async () => {
    const response = await fetch(`${proxy}/register`, {
      method: "POST",
      body: new URLSearchParams({ username: "big", text: "x".repeat(65 * 1024) }),
    });
    expect(response.status).toBe(413);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(await response.text()).toContain("413");
  });
});
