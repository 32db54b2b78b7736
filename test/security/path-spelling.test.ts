import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildApps } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { LOGIN_MAX_FAILURES } from "../../src/data/throttle.ts";
import { createMetrics } from "../../src/metrics.ts";
import { BODY_LIMIT, canonicalPath } from "../../src/security.ts";
import { Client, type Listening, listenApps, type RawAnswer, rawRequest, type TestDb, testDb } from "../helpers.ts";

// Every rule keyed on a route (cross-site refusal, login throttle, limits, the metrics' route label)
// must give the same decision for every spelling of a path a client can send: the canonical one is
// answered, every other one is redirected (308) to it, so the decision after that one hop must match.

const SIM_AUTH = `Basic ${btoa("simulator:super_safe!")}`;
const metrics = createMetrics({ version: "test", defaults: false });
let store: TestDb;
let servers: Listening;
let alice: Client;

beforeAll(async () => {
  store = await testDb();
  servers = listenApps(buildApps({ config: loadConfig({ LOG_LEVEL: "silent" }), db: store.db, metrics }));
  alice = new Client(servers.web);
  await alice.register("alice");
  await new Client(servers.web).register("bob");
  expect((await alice.login("alice")).text).toContain("You were logged in");
  const carol = await fetch(`${servers.api}/register`, {
    method: "POST",
    headers: { authorization: SIM_AUTH, "content-type": "application/json" },
    body: JSON.stringify({ username: "carol", email: "c@example.com", pwd: "p" }),
  });
  expect(carol.status).toBe(204);
}, 60_000);
afterAll(async () => {
  await servers.stop();
  await store.close();
});

interface Route {
  port: "web" | "api";
  method: string;
  /** A concrete canonical path of the route. */
  path: string;
  /** The route's template, as Elysia matches it and the metrics label it. */
  route: string;
  form?: Record<string, string>;
  json?: unknown;
}

/** Every route of both ports, with a request each whose answer does not change on repetition. */
const ROUTES: Route[] = [
  { port: "web", method: "GET", path: "/", route: "/" },
  { port: "web", method: "GET", path: "/public", route: "/public" },
  { port: "web", method: "GET", path: "/bob", route: "/:username" },
  { port: "web", method: "GET", path: "/bob/follow", route: "/:username/follow" },
  { port: "web", method: "POST", path: "/bob/follow", route: "/:username/follow" },
  { port: "web", method: "GET", path: "/bob/unfollow", route: "/:username/unfollow" },
  { port: "web", method: "POST", path: "/bob/unfollow", route: "/:username/unfollow" },
  { port: "web", method: "POST", path: "/add_message", route: "/add_message", form: { text: "" } },
  { port: "web", method: "GET", path: "/login", route: "/login" },
  { port: "web", method: "POST", path: "/login", route: "/login", form: { username: "alice", password: "secret" } },
  { port: "web", method: "GET", path: "/register", route: "/register" },
  {
    port: "web",
    method: "POST",
    path: "/register",
    route: "/register",
    form: { username: "bob", email: "b@example.com", password: "p", password2: "p" },
  },
  { port: "web", method: "GET", path: "/logout", route: "/logout" },
  { port: "web", method: "GET", path: "/static/style.css", route: "/static/style.css" },
  { port: "web", method: "GET", path: "/health", route: "/health" },
  { port: "api", method: "GET", path: "/latest", route: "/latest" },
  {
    port: "api",
    method: "POST",
    path: "/register",
    route: "/register",
    json: { username: "carol", email: "c@x", pwd: "p" },
  },
  { port: "api", method: "GET", path: "/msgs", route: "/msgs" },
  { port: "api", method: "GET", path: "/msgs/carol", route: "/msgs/:username" },
  { port: "api", method: "POST", path: "/msgs/carol", route: "/msgs/:username", json: { content: "" } },
  { port: "api", method: "GET", path: "/fllws/carol", route: "/fllws/:username" },
  { port: "api", method: "POST", path: "/fllws/carol", route: "/fllws/:username", json: { follow: "nobody" } },
  { port: "api", method: "GET", path: "/health", route: "/health" },
  { port: "api", method: "GET", path: "/openapi.json", route: "/openapi.json" },
];

/** The other spellings of a canonical path a client can send: they must be redirected to it. */
function spellings(path: string): string[] {
  const segments = path.split("/").slice(1);
  const letter = segments.findIndex((s) => /^[a-z]/i.test(s));
  const encoded = (upper: boolean) =>
    `/${segments
      .map((s, i) => {
        if (i !== letter) return s;
        const hex = (s.charCodeAt(0) as number).toString(16);
        return `%${upper ? hex.toUpperCase() : hex}${s.slice(1)}`;
      })
      .join("/")}`;
  const list = [`${path}/`, `/${path}`, `${path}//`, path.replace(/\//g, "//")];
  if (letter !== -1) list.push(encoded(true), encoded(false));
  if (segments.length > 1) list.push(`/${segments[0]}//${segments.slice(1).join("/")}`);
  return [...new Set(list)].filter((s) => s !== path);
}

/**
 * One request as the route's client sends it, byte for byte (fetch would normalise `//`): signed in as
 * alice on the web unless `anonymous`, with the simulator's credential on the API.
 */
async function send(
  r: Route,
  path: string,
  headers: Record<string, string> = {},
  anonymous = false,
): Promise<RawAnswer> {
  const base = r.port === "web" ? servers.web : servers.api;
  const auth: Record<string, string> = r.port === "api" ? { authorization: SIM_AUTH } : {};
  if (r.port === "web" && !anonymous) auth.cookie = alice.cookie;
  const body = r.form ? new URLSearchParams(r.form).toString() : r.json ? JSON.stringify(r.json) : "";
  if (r.form) auth["content-type"] = "application/x-www-form-urlencoded";
  if (r.json) auth["content-type"] = "application/json";
  const answer = await rawRequest(base, r.method, path, { ...auth, ...headers }, body);
  // A sign-out that went through ends alice's session on the server: sign in again for the next request.
  if (r.route === "/logout" && answer.status === 302 && !anonymous) await alice.login("alice");
  return answer;
}

interface Decision {
  status: number;
  location: string | undefined;
  /** The Max-Age of a cookie the answer sets: 0 means signed out. */
  cookie: string | undefined;
}

function decide(answer: RawAnswer): Decision {
  const cookie = answer.headers.get("set-cookie")?.match(/Max-Age=\d+/)?.[0];
  return { status: answer.status, location: answer.headers.get("location"), cookie };
}

/** The decision for a spelling: one 308 hop to the canonical path (checked), then the answer there. */
async function decideSpelling(
  r: Route,
  spelling: string,
  headers: Record<string, string> = {},
  anonymous = false,
): Promise<Decision> {
  const first = await send(r, spelling, headers, anonymous);
  expect(first.status, `${r.method} ${spelling}`).toBe(308);
  expect(first.headers.get("location"), `${r.method} ${spelling}`).toBe(r.path);
  return decide(await send(r, r.path, headers, anonymous));
}

describe("[security] one spelling per route", () => {
  test("[security] the canonical form: slashes collapsed, no trailing slash, unreserved escapes decoded", () => {
    expect(canonicalPath("/")).toBe("/");
    expect(canonicalPath("//")).toBe("/");
    expect(canonicalPath("/login/")).toBe("/login");
    expect(canonicalPath("//login//")).toBe("/login");
    expect(canonicalPath("/l%6Fgin")).toBe("/login");
    expect(canonicalPath("/Roger%20Histand/follow")).toBe("/Roger%20Histand/follow");
    expect(canonicalPath("/a%2fb")).toBe("/a%2Fb");
    expect(canonicalPath("/%2E%2E")).toBe("/%2E%2E");
    expect(canonicalPath("/%7e%5F%2d")).toBe("/~_-");
    // A doubled slash never survives, so a redirect never points at another host (//evil.example).
    expect(canonicalPath("//evil.example/")).toBe("/evil.example");
  });

  test("[security] every route on both ports: every other spelling is redirected and then decided the same", async () => {
    let cases = 0;
    for (const r of ROUTES) {
      const canonical = decide(await send(r, r.path));
      expect(canonical.status, `${r.method} ${r.path}`).toBeLessThan(500);
      for (const spelling of spellings(r.path)) {
        expect(await decideSpelling(r, spelling), `${r.method} ${spelling}`).toEqual(canonical);
        cases++;
      }
    }
    console.error(
      `[path-spelling] ${ROUTES.length} routes, ${cases} other spellings, each decided as its canonical one`,
    );
    expect(cases).toBeGreaterThan(100);
    // Signed in again after each sign-out that went through (send), so every route was tried signed in.
    expect((await alice.get("/")).text).toContain("What's on your mind alice?");
  });

  test("[security] cross-site refusal: every spelling of every state-changing route is refused", async () => {
    const foreign = { "sec-fetch-site": "cross-site" };
    const changing = ROUTES.filter((r) => r.port === "web" && (r.method === "POST" || /follow|logout/.test(r.route)));
    expect(changing).toHaveLength(8);
    for (const r of changing) {
      expect(decide(await send(r, r.path, foreign)).status, `${r.method} ${r.path}`).toBe(403);
      for (const spelling of spellings(r.path)) {
        const decision = await decideSpelling(r, spelling, foreign);
        expect(decision, `${r.method} ${spelling}`).toEqual({ status: 403, location: undefined, cookie: undefined });
      }
    }
    expect((await alice.get("/")).text).toContain("What's on your mind alice?");
  });

  test("[security] case is not ignored by routing: upper-case spellings never reach the route's handler", async () => {
    for (const r of ROUTES) {
      if (r.path === "/") continue;
      const upper = r.path.toUpperCase();
      const decision = decide(await send(r, upper, { "sec-fetch-site": "cross-site" }));
      // 404 (no such route or user) or 405; the web's cross-site rule may answer 403 for a POST first.
      expect([403, 404, 405], `${r.method} ${upper}`).toContain(decision.status);
      expect(decision.cookie, `${r.method} ${upper}`).toBeUndefined();
    }
    expect((await alice.get("/")).text).toContain("What's on your mind alice?");
  });

  test("[security] the login throttle counts failures under every spelling and refuses them all", async () => {
    const login = ROUTES.find((r) => r.port === "web" && r.method === "POST" && r.route === "/login") as Route;
    const wrong: Route = { ...login, form: { username: "alice", password: "wrong" } };
    const from = { "x-forwarded-for": "203.0.113.50" };
    const all = [login.path, ...spellings(login.path)];
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
      const spelling = all[i % all.length] as string;
      const decision =
        spelling === login.path
          ? decide(await send(wrong, spelling, from, true))
          : await decideSpelling(wrong, spelling, from, true);
      expect(decision.status, `failure ${i + 1} at ${spelling}`).toBe(200);
    }
    // The right password would sign in: every spelling is throttled instead.
    expect(decide(await send(login, login.path, from, true)).status).toBe(429);
    for (const spelling of spellings(login.path)) {
      expect((await decideSpelling(login, spelling, from, true)).status, spelling).toBe(429);
    }
  });

  test("[security] limits hold for every spelling: 413 for a large body, before any redirect", async () => {
    const big = "x".repeat(BODY_LIMIT + 1);
    for (const r of ROUTES.filter((route) => route.method === "POST")) {
      for (const spelling of [r.path, ...spellings(r.path)]) {
        const base = r.port === "web" ? servers.web : servers.api;
        const answer = await rawRequest(base, "POST", spelling, {}, big);
        expect(answer.status, `${r.port} POST ${spelling}`).toBe(413);
      }
    }
  });

  test("[security] the metrics' route label is the matched template, whatever the spelling", async () => {
    const text = await metrics.registry.metrics();
    const labels = new Set([...text.matchAll(/route="([^"]*)"/g)].map((m) => m[1]));
    const templates = new Set([...ROUTES.map((r) => r.route), "unmatched"]);
    for (const label of labels) expect(templates.has(label as string), `route="${label}"`).toBe(true);
    expect(labels.has("/:username/follow")).toBe(true);
    // The redirects themselves were matched by no route.
    expect(text).toMatch(/route="unmatched",status="308"/);
  });
});
