import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildApps } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { BODY_LOG_LIMIT, bodyContent, clientIp, createLogger, isTrusted, REDACTED, redact } from "../src/log.ts";
import { createMetrics } from "../src/metrics.ts";
import { Client, listenApps, type TestDb, testDb } from "./helpers.ts";

type Line = Record<string, unknown>;

/** A pino destination that keeps every line, parsed: what Filebeat would read from stdout. */
function capture() {
  const lines: Line[] = [];
  return { lines, stream: { write: (line: string) => void lines.push(JSON.parse(line)) } };
}

/** Every field under its ECS dotted name, whether the line nests it or writes the dotted key. */
function flatten(value: Line, prefix = "", out: Line = {}): Line {
  for (const [key, v] of Object.entries(value)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) flatten(v as Line, name, out);
    else out[name] = v;
  }
  return out;
}

function get(line: Line, path: string): unknown {
  return flatten(line)[path];
}

const ECS_FIELDS = [
  "@timestamp",
  "log.level",
  "message",
  "ecs.version",
  "service.name",
  "service.version",
  "service.environment",
  "event.kind",
  "event.category",
  "event.type",
  "event.outcome",
  "event.duration",
  "http.request.id",
  "http.request.method",
  "url.path",
  "http.response.status_code",
  "client.ip",
  "user_agent.original",
];

let store: TestDb;
const logs = capture();
let web: string;
let api: string;
let stop: () => Promise<void>;

beforeAll(async () => {
  store = await testDb();
  const config = loadConfig({ LOG_LEVEL: "info", APP_VERSION: "1.2.3", NODE_ENV: "test", TRUSTED_PROXIES: "" });
  const apps = buildApps({
    config,
    db: store.db,
    metrics: createMetrics({ version: "1.2.3", defaults: false }),
    logger: createLogger(config, logs.stream),
  });
  // A handler with a bug, to see what a 500 logs and shows.
  apps.web.get("/boom/now", () => {
    throw new TypeError("kaboom in a handler");
  });
  const servers = listenApps(apps);
  ({ web, api } = servers);
  stop = servers.stop;
});
afterAll(async () => {
  await stop();
  await store.close();
});

/** The access-log line of the request that got this X-Request-Id. */
async function lineOf(id: string | null): Promise<Line> {
  expect(id).toBeTruthy();
  for (let i = 0; i < 50; i++) {
    const line = logs.lines.find((l) => get(l, "http.request.id") === id);
    if (line) return line;
    await Bun.sleep(10);
  }
  throw new Error(`no log line for request ${id}`);
}

describe("[log] access log lines", () => {
  test("[log] a sign-in logs one ECS line with every field, the user, the redirect target, no password", async () => {
    const c = new Client(web);
    await c.register("logger1", "hunter2-secret");
    const answer = await c.request("POST", "/login?from=test", {
      form: { username: "logger1", password: "hunter2-secret" },
      headers: { "user-agent": "log-test/1.0" },
    });
    expect(answer.status).toBe(303);
    const id = answer.headers.get("x-request-id");
    const line = await lineOf(id);
    expect(logs.lines.filter((l) => get(l, "http.request.id") === id)).toHaveLength(1);
    for (const field of ECS_FIELDS) expect({ field, value: get(line, field) }).not.toEqual({ field, value: undefined });
    expect(get(line, "service.name")).toBe("minitwit-web");
    expect(get(line, "service.version")).toBe("1.2.3");
    expect(get(line, "service.environment")).toBe("test");
    expect(get(line, "log.level")).toBe("info");
    expect(get(line, "http.request.method")).toBe("POST");
    expect(get(line, "url.path")).toBe("/login");
    expect(get(line, "url.query")).toBe("from=test");
    expect(get(line, "http.response.status_code")).toBe(303);
    expect(get(line, "http.response.body.bytes")).toBe(0);
    expect(get(line, "user_agent.original")).toBe("log-test/1.0");
    expect(get(line, "client.ip")).toBe("127.0.0.1");
    expect(get(line, "user.name")).toBe("logger1");
    expect(get(line, "user.id")).toMatch(/^\d+$/);
    expect(get(line, "minitwit.redirect.location")).toBe("/");
    expect(get(line, "minitwit.route")).toBe("/login");
    expect(get(line, "event.outcome")).toBe("success");
    const duration = get(line, "event.duration") as number;
    expect(Number.isInteger(duration)).toBe(true);
    expect(duration).toBeGreaterThan(1000); // nanoseconds: even a fast request takes more than 1 µs
    const content = JSON.parse(get(line, "http.request.body.content") as string);
    expect(content).toEqual({ username: "logger1", password: REDACTED });
    expect(JSON.stringify(logs.lines)).not.toContain("hunter2-secret");
    // The Kibana saved search shows these columns and filters on this dataset.
    const search = readFileSync(join(import.meta.dir, "..", "observability/kibana/minitwit.ndjson"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((o) => o.id === "minitwit-access-log");
    for (const column of search.attributes.columns as string[]) expect(flatten(line)).toHaveProperty([column]);
    expect(get(line, "event.dataset")).toBe("minitwit.access");
  });

  test("[log] the registration form's two passwords are redacted too", async () => {
    const answer = await new Client(web).request("POST", "/register", {
      form: { username: "logger2", email: "l2@x", password: "pw-one-secret", password2: "pw-two-secret" },
    });
    const line = await lineOf(answer.headers.get("x-request-id"));
    expect(JSON.parse(get(line, "http.request.body.content") as string)).toEqual({
      username: "logger2",
      email: "l2@x",
      password: REDACTED,
      password2: REDACTED,
    });
    expect(JSON.stringify(logs.lines)).not.toContain("pw-one-secret");
    expect(JSON.stringify(logs.lines)).not.toContain("pw-two-secret");
  });

  test("[log] a JSON body is logged with `pwd` redacted", async () => {
    const response = await fetch(`${web}/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "apiuser", email: "a@x", pwd: "api-secret-pw" }),
    });
    await response.arrayBuffer();
    const line = await lineOf(response.headers.get("x-request-id"));
    expect(get(line, "http.request.body.content")).toContain(`"pwd":"${REDACTED}"`);
    expect(JSON.stringify(logs.lines)).not.toContain("api-secret-pw");
  });

  test("[log] a 500 is logged at error level with error.type, message and stack, under the id the page shows", async () => {
    const answer = await new Client(web).get("/boom/now");
    expect(answer.status).toBe(500);
    expect(answer.headers.get("content-type")).toContain("text/html");
    const id = answer.headers.get("x-request-id");
    expect(answer.text).toContain(`Request id: ${id}`);
    const line = await lineOf(id);
    expect(get(line, "log.level")).toBe("error");
    expect(get(line, "http.response.status_code")).toBe(500);
    expect(get(line, "error.type")).toBe("TypeError");
    expect(get(line, "error.message")).toBe("kaboom in a handler");
    expect(get(line, "error.stack_trace")).toContain("kaboom in a handler");
    expect(get(line, "event.outcome")).toBe("failure");
  });

  test("[log] a 404 carries error.type and message but no stack; unmatched routes say so", async () => {
    const answer = await new Client(web).get("/no/such/page");
    expect(answer.status).toBe(404);
    const line = await lineOf(answer.headers.get("x-request-id"));
    expect(get(line, "minitwit.route")).toBe("unmatched");
    expect(get(line, "error.message")).toBeDefined();
    expect(get(line, "error.stack_trace")).toBeUndefined();
  });

  test("[log] a sane X-Request-Id from the proxy is kept and echoed", async () => {
    const answer = await new Client(web).request("GET", "/public", { headers: { "x-request-id": "proxy-abc-123" } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("x-request-id")).toBe("proxy-abc-123");
    const line = await lineOf("proxy-abc-123");
    expect(get(line, "http.response.body.bytes")).toBe(Buffer.byteLength(answer.text));
  });

  test("[log] the simulator API's JSON body is logged with `pwd` redacted", async () => {
    const response = await fetch(`${api}/register`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Basic ${btoa("simulator:super_safe!")}` },
      body: JSON.stringify({ username: "sim-logged", email: "s@x", pwd: "sim-secret-pw" }),
    });
    expect(response.status).toBe(204);
    const line = await lineOf(response.headers.get("x-request-id"));
    expect(get(line, "service.name")).toBe("minitwit-api");
    expect(get(line, "minitwit.route")).toBe("/register");
    expect(JSON.parse(get(line, "http.request.body.content") as string)).toEqual({
      username: "sim-logged",
      email: "s@x",
      pwd: REDACTED,
    });
    expect(JSON.stringify(logs.lines)).not.toContain("sim-secret-pw");
  });

  test("[log] the API's lines name the user of the path", async () => {
    const response = await fetch(`${api}/msgs/sim-logged?no=5`, {
      headers: { authorization: `Basic ${btoa("simulator:super_safe!")}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    await response.arrayBuffer();
    const line = await lineOf(response.headers.get("x-request-id"));
    expect(get(line, "user.name")).toBe("sim-logged");
    expect(get(line, "url.query")).toBe("no=5");
    expect(get(line, "http.response.body.bytes")).toBe(2);
  });

  test("[log] the API's lines name their service and echo the request id", async () => {
    const response = await fetch(`${api}/no-such-endpoint`);
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toContain("application/json");
    await response.arrayBuffer();
    const line = await lineOf(response.headers.get("x-request-id"));
    expect(get(line, "service.name")).toBe("minitwit-api");
    expect(get(line, "http.response.status_code")).toBe(404);
  });

  test("[log] X-Forwarded-For from an untrusted peer is ignored", async () => {
    const answer = await new Client(web).request("GET", "/public", { headers: { "x-forwarded-for": "6.6.6.6" } });
    const line = await lineOf(answer.headers.get("x-request-id"));
    expect(get(line, "client.ip")).toBe("127.0.0.1");
  });

  test("[log] LOG_LEVEL=warn keeps the 500s and drops the ordinary lines", () => {
    const quiet = capture();
    const logger = createLogger(loadConfig({ LOG_LEVEL: "warn" }), quiet.stream);
    logger.info({ event: { kind: "event" } }, "GET / 200");
    logger.error({ event: { kind: "event" } }, "GET /boom 500");
    expect(quiet.lines).toHaveLength(1);
    expect(get(quiet.lines[0] as Line, "message")).toBe("GET /boom 500");
  });
});

describe("[log] redaction and client address", () => {
  test("[log] password, password2 and pwd are redacted at any depth, other fields kept", () => {
    expect(redact({ a: 1, password: "x", nested: { PWD: "y", list: [{ password2: "z" }] } })).toEqual({
      a: 1,
      password: REDACTED,
      nested: { PWD: REDACTED, list: [{ password2: REDACTED }] },
    });
  });

  test("[log] the logged content is cut at the documented size", () => {
    const long = bodyContent({ text: "x".repeat(5000) }) as string;
    expect(long.length).toBe(BODY_LOG_LIMIT + 1);
    expect(long.endsWith("…")).toBe(true);
    expect(bodyContent(undefined)).toBeUndefined();
    expect(bodyContent({ content: "hi" })).toBe('{"content":"hi"}');
  });

  test("[log] X-Forwarded-For counts only behind a trusted proxy, right-most untrusted hop wins", () => {
    const trusted = ["127.0.0.1", "10.0.0.0/8"];
    expect(clientIp("203.0.113.9", "1.2.3.4", trusted)).toBe("203.0.113.9");
    expect(clientIp("10.0.1.5", "1.2.3.4", trusted)).toBe("1.2.3.4");
    expect(clientIp("10.0.1.5", "9.9.9.9, 1.2.3.4, 10.0.2.2", trusted)).toBe("1.2.3.4");
    expect(clientIp("::ffff:127.0.0.1", "5.6.7.8", trusted)).toBe("5.6.7.8");
    expect(clientIp("10.0.1.5", null, trusted)).toBe("10.0.1.5");
    expect(isTrusted("11.0.0.1", trusted)).toBe(false);
    expect(isTrusted("::1", ["::1"])).toBe(true);
  });
});
