import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { LOGIN_MAX_FAILURES, loginThrottle } from "../../src/data/throttle.ts";
import { clientAddress } from "../../src/security.ts";
import { startApp, type TestApp } from "../helpers.ts";

// A busy two-core machine can slow these well past bun's 5 s default.

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
  const r = await fetch(`${app.web}/register`, {
    method: "POST",
    body: new URLSearchParams({ username: "thr", email: "t@example.com", password: "right", password2: "right" }),
    redirect: "manual",
  });
  expect(r.status).toBe(303);
}, 60_000);
afterAll(() => app.stop());

function login(password: string, from?: string) {
  return fetch(`${app.web}/login`, {
    method: "POST",
    body: new URLSearchParams({ username: "thr", password }),
    headers: from ? { "x-forwarded-for": from } : {},
    redirect: "manual",
  });
}

describe("[security] login throttling", () => {
  test("[security] after the threshold of failures one address gets 429 with Retry-After, others do not", async () => {
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
      const r = await login("wrong", "203.0.113.7");
      expect(r.status).toBe(200);
      expect(await r.text()).toContain("Invalid password");
    }
    const blocked = await login("right", "203.0.113.7");
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get("content-type")).toContain("text/html");
    const wait = Number(blocked.headers.get("retry-after"));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(600);
    expect(await blocked.text()).toContain("Too many failed sign-in attempts");
    const other = await login("right", "203.0.113.8");
    expect(other.status).toBe(303);
  });

  test("[security] the simulator API is never throttled, however many wrong credentials it sees", async () => {
    for (let i = 0; i < 2 * LOGIN_MAX_FAILURES; i++) {
      const r = await fetch(`${app.api}/msgs`, { headers: { authorization: "Basic d3Jvbmc6d3Jvbmc=" } });
      expect(r.status).toBe(403);
      await r.arrayBuffer();
    }
    const ok = await fetch(`${app.api}/register`, {
      method: "POST",
      headers: { authorization: `Basic ${btoa("simulator:super_safe!")}`, "content-type": "application/json" },
      body: JSON.stringify({ username: "thr-api", email: "t@example.com", pwd: "p" }),
    });
    expect(ok.status).toBe(204);
  });

  test("[security] a forged X-Forwarded-For from an untrusted peer does not escape the throttle", () => {
    const peer = { requestIP: () => ({ address: "198.51.100.1" }) };
    const forged = new Request("http://x/login", { headers: { "x-forwarded-for": "1.2.3.4" } });
    expect(clientAddress(forged, peer, ["127.0.0.1"])).toBe("198.51.100.1");
    const proxy = { requestIP: () => ({ address: "::ffff:10.0.0.5" }) };
    const chain = new Request("http://x/login", { headers: { "x-forwarded-for": "1.2.3.4, 198.51.100.9, 10.0.0.2" } });
    expect(clientAddress(chain, proxy, ["10.0.0.0/8"])).toBe("198.51.100.9");
  });

  test("[security] the window ends: the address may try again", async () => {
    const throttle = loginThrottle(app.db, 3, 60);
    const t0 = 1_000_000_000_000;
    const at = (ms: number) => new Date(t0 + ms);
    for (let i = 0; i < 3; i++) await throttle.fail("a", at(i));
    expect(await throttle.retryAfter("a", at(10))).toBe(60);
    expect(await throttle.retryAfter("b", at(10))).toBe(0);
    expect(await throttle.retryAfter("a", at(59_500))).toBe(1);
    expect(await throttle.retryAfter("a", at(60_000))).toBe(0);
    // A failure after the window starts a new one: one failure, not four.
    await throttle.fail("a", at(60_000));
    expect(await throttle.retryAfter("a", at(60_001))).toBe(0);
  });
});
