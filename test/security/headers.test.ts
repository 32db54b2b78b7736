import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildWeb } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { COOKIE_NAME } from "../../src/session.ts";
import { Client, startApp, type TestApp } from "../helpers.ts";

// A busy two-core machine can slow these well past bun's 5 s default.

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
  await new Client(app.web).register("hdr");
}, 60_000);
afterAll(() => app.stop());

function expectSecurityHeaders(headers: Headers, where: string) {
  const csp = headers.get("content-security-policy") ?? "";
  expect(csp, where).toContain("default-src 'self'");
  expect(csp, where).toContain("img-src 'self';");
  expect(csp, where).toContain("frame-ancestors 'none'");
  expect(headers.get("x-content-type-options"), where).toBe("nosniff");
  expect(headers.get("x-frame-options"), where).toBe("DENY");
  expect(headers.get("referrer-policy"), where).toBe("same-origin");
}

describe("[security] headers", () => {
  test("[security] every kind of web answer carries the security headers", async () => {
    const signedIn = new Client(app.web);
    await signedIn.login("hdr");
    const cases: [string, string, number, Record<string, string>?, string?][] = [
      ["GET", "/public", 200],
      ["GET", "/login", 200],
      ["GET", "/register", 200],
      ["GET", "/hdr", 200],
      ["GET", "/static/style.css", 200],
      ["GET", "/health", 200],
      ["GET", "/", 302],
      ["GET", "/logout", 302],
      ["GET", "/no-such-user", 404],
      ["GET", "/a/b/c/d", 404],
      ["GET", "/%E0%A4%A", 400],
      ["GET", `/${"a".repeat(5000)}`, 414],
      ["POST", "/add_message", 401, {}, "text=hi"],
      ["POST", "/add_message", 403, { origin: "https://evil.example" }, "text=hi"],
      ["POST", "/register", 413, {}, `username=${"a".repeat(70_000)}`],
      ["DELETE", "/public", 404],
    ];
    for (const [method, path, status, headers = {}, body] of cases) {
      const r = await fetch(app.web + path, {
        method,
        headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
        body,
        redirect: "manual",
      });
      const where = `${method} ${path.slice(0, 40)}`;
      expect(r.status, where).toBe(status);
      expectSecurityHeaders(r.headers, where);
      expect(r.headers.get("strict-transport-security"), where).toBeNull();
      await r.arrayBuffer();
    }
    const home = await signedIn.get("/");
    expect(home.status).toBe(200);
    expectSecurityHeaders(home.headers, "GET / signed in");
  });

  test("[security] the API port's answers carry nosniff, no framing and a CSP", async () => {
    for (const [path, status] of [
      ["/health", 200],
      ["/no/such/route", 404],
      ["/%zz", 400],
    ] as const) {
      const r = await fetch(app.api + path);
      expect(r.status).toBe(status);
      expect(r.headers.get("content-type")).toContain("application/json");
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
      expect(r.headers.get("x-frame-options")).toBe("DENY");
      expect(r.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      await r.arrayBuffer();
    }
  });

  test("[security] the API's reference page loads its script and styles from this site only", async () => {
    const docs = await fetch(`${app.api}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get("content-type")).toContain("text/html");
    expect(docs.headers.get("content-security-policy")).toContain("script-src 'self';");
    expect(await docs.text()).not.toContain("https://");
    const spec = await fetch(`${app.api}/openapi.json`);
    expect(spec.status).toBe(200);
    expect(spec.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
    await spec.arrayBuffer();
  });

  test("[security] HSTS and Secure cookies when a trusted proxy says HTTPS", async () => {
    const r = await fetch(`${app.web}/logout`, { headers: { "x-forwarded-proto": "https" }, redirect: "manual" });
    expect(r.status).toBe(302);
    expect(r.headers.get("strict-transport-security")).toBe("max-age=31536000");
    expect(r.headers.get("set-cookie")).toContain("; Secure");
    const plain = await fetch(`${app.web}/logout`, { redirect: "manual" });
    expect(plain.headers.get("strict-transport-security")).toBeNull();
    expect(plain.headers.get("set-cookie")).not.toContain("Secure");
  });

  test("[security] X-Forwarded-Proto from a peer that is not a trusted proxy is ignored", async () => {
    // app.handle has no socket, so the peer is unknown and trusted by no list.
    const web = buildWeb({ config: loadConfig({ LOG_LEVEL: "silent", TRUSTED_PROXIES: "10.0.0.0/8" }), db: app.db });
    const r = await web.handle(new Request("http://localhost/logout", { headers: { "x-forwarded-proto": "https" } }));
    expect(r.status).toBe(302);
    expect(r.headers.get("strict-transport-security")).toBeNull();
    expect(r.headers.get("set-cookie")).not.toContain("Secure");
  });
});

describe("[security] session cookies over HTTP", () => {
  test("[security] signing in sets HttpOnly, SameSite=Lax, Path=/ and a Max-Age", async () => {
    const r = await fetch(`${app.web}/login`, {
      method: "POST",
      body: new URLSearchParams({ username: "hdr", password: "secret" }),
      redirect: "manual",
    });
    expect(r.status).toBe(303);
    const cookie = r.headers.get("set-cookie") ?? "";
    expect(cookie).toStartWith(`${COOKIE_NAME}=`);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    expect(cookie).toMatch(/Max-Age=\d+/);
  });

  test("[security] a tampered or foreign session cookie is simply not signed in", async () => {
    const c = new Client(app.web);
    await c.login("hdr");
    expect((await c.get("/")).text).toContain("What's on your mind hdr?");
    const [name, value = ""] = c.cookie.split("=");
    const dot = value.indexOf(".");
    const forgedBody = Buffer.from(JSON.stringify({ uid: 1, name: "hdr", exp: 2_000_000_000 })).toString("base64url");
    for (const cookie of [
      `${name}=${value.slice(0, dot - 1)}${value[dot - 1] === "A" ? "B" : "A"}${value.slice(dot)}`,
      `${name}=${forgedBody}${value.slice(dot)}`,
      `${name}=garbage`,
      `${name}=${"A".repeat(10_000)}`,
    ]) {
      const r = await fetch(`${app.web}/`, { headers: { cookie }, redirect: "manual" });
      expect(r.status).toBe(302);
      expect(r.headers.get("location")).toBe("/public");
      const page = await fetch(`${app.web}/public`, { headers: { cookie } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("sign in");
    }
  });
});
