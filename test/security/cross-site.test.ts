import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { changesState, isCrossSite } from "../../src/security.ts";
import { Client, startApp, type TestApp } from "../helpers.ts";

// A busy two-core machine can slow these well past bun's 5 s default.

let app: TestApp;
let signedIn: Client;
beforeAll(async () => {
  app = await startApp();
  signedIn = new Client(app.web);
  await signedIn.register("xs");
  await new Client(app.web).register("target");
  await signedIn.login("xs");
}, 60_000);
afterAll(() => app.stop());

const FOREIGN: Record<string, string>[] = [
  { "sec-fetch-site": "cross-site" },
  { "sec-fetch-site": "same-site" },
  { origin: "https://evil.example" },
  { origin: "null" },
  { origin: "http://127.0.0.1:1" },
  { "sec-fetch-site": "cross-site", origin: "https://evil.example" },
];

const STATE_CHANGING: [string, string, Record<string, string>?][] = [
  ["POST", "/add_message", { text: "cross-site message" }],
  ["POST", "/target/follow"],
  ["POST", "/target/unfollow"],
  ["GET", "/target/follow"],
  ["GET", "/target/unfollow"],
  ["POST", "/login", { username: "xs", password: "secret" }],
  ["POST", "/register", { username: "xs-new", email: "a@b", password: "p", password2: "p" }],
  ["GET", "/logout"],
];

describe("[security] cross-site requests", () => {
  test("[security] every state-changing request marked cross-site is refused with 403 and changes nothing", async () => {
    for (const headers of FOREIGN) {
      for (const [method, path, form] of STATE_CHANGING) {
        const r = await signedIn.request(method, path, { form, headers });
        const where = `${method} ${path} ${JSON.stringify(headers)}`;
        expect(r.status, where).toBe(403);
        expect(r.headers.get("content-type"), where).toContain("text/html");
        expect(r.text, where).toContain("Cross-site request refused");
      }
    }
    const home = await signedIn.get("/");
    expect(home.text).toContain("What's on your mind xs?");
    expect(home.text).not.toContain("cross-site message");
    expect((await signedIn.get("/target")).text).toContain("You are not yet following this user.");
    expect((await new Client(app.web).get("/xs-new")).status).toBe(404);
  });

  test("[security] same-origin browser requests are accepted", async () => {
    const own = { origin: app.web, "sec-fetch-site": "same-origin" };
    const post = await signedIn.request("POST", "/add_message", {
      form: { text: "same-origin message" },
      headers: own,
    });
    expect(post.status).toBe(303);
    const follow = await signedIn.request("GET", "/target/follow", { headers: { "sec-fetch-site": "same-origin" } });
    expect(follow.status).toBe(302);
    const home = await signedIn.get("/");
    expect(home.text).toContain("same-origin message");
    expect((await signedIn.get("/target")).text).toContain("You are currently following this user.");
    const typed = await signedIn.request("GET", "/target/unfollow", { headers: { "sec-fetch-site": "none" } });
    expect(typed.status).toBe(302);
  });

  test("[security] scripts that send neither Origin nor Sec-Fetch-Site keep working", async () => {
    const script = new Client(app.web);
    const login = await script.post("/login", { username: "xs", password: "secret" }, false);
    expect(login.status).toBe(303);
    expect((await script.post("/add_message", { text: "script message" }, false)).status).toBe(303);
    expect((await script.get("/target/follow", false)).status).toBe(302);
    expect((await script.get("/", true)).text).toContain("script message");
  });

  test("[security] reading pages from another site's link is not refused", async () => {
    for (const path of ["/public", "/target", "/login", "/register"]) {
      const r = await fetch(app.web + path, {
        headers: { "sec-fetch-site": "cross-site", origin: "https://evil.example" },
      });
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toContain("text/html");
      await r.arrayBuffer();
    }
  });

  test("[security] behind a trusted proxy the forwarded host is the site's own", () => {
    const peer = { requestIP: () => ({ address: "10.1.2.3" }) };
    const request = new Request("http://web:5000/add_message", {
      method: "POST",
      headers: { origin: "https://minitwit.example", "x-forwarded-host": "minitwit.example" },
    });
    expect(isCrossSite(request, peer, ["10.0.0.0/8"])).toBe(false);
    expect(isCrossSite(request, peer, ["127.0.0.1"])).toBe(true);
  });

  test("[security] which requests count as state-changing, by matched route", () => {
    expect(changesState("POST", "/add_message")).toBe(true);
    expect(changesState("PUT", undefined)).toBe(true);
    expect(changesState("GET", "/:username/follow")).toBe(true);
    expect(changesState("HEAD", "/:username/unfollow")).toBe(true);
    expect(changesState("GET", "/logout")).toBe(true);
    expect(changesState("GET", "/public")).toBe(false);
    expect(changesState("GET", "/:username")).toBe(false);
    expect(changesState("GET", undefined)).toBe(false);
  });
});
