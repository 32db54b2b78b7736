import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildApi, buildWeb, describeError } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { DatabaseUnavailable } from "../../src/db.ts";
import { type TestDb, testDb } from "../helpers.ts";

// A busy two-core machine can slow these well past bun's 5 s default.

let store: TestDb;
beforeAll(async () => {
  store = await testDb();
}, 60_000);
afterAll(() => store.close());

const SECRET = "s3cr3t-key-never-shown";
const LEAKS = [SECRET, "SELECT", "pw_hash", "at <anonymous>", ".ts:", "Error:", "node_modules", "stack"];

function boom(): never {
  const error = new Error(`SELECT pw_hash FROM users WHERE password = '${SECRET}'`);
  (error as Error & { query?: string }).query = "SELECT pw_hash FROM users";
  throw error;
}

describe("[security] errors never leak", () => {
  test("[security] a web 500 shows only the request id", async () => {
    const deps = { config: loadConfig({ LOG_LEVEL: "silent", SECRET_KEY: SECRET }), db: store.db };
    const web = buildWeb(deps).get("/boom", boom);
    const r = await web.handle(new Request("http://localhost/boom", { headers: { "x-request-id": "req-4711" } }));
    expect(r.status).toBe(500);
    expect(r.headers.get("content-type")).toContain("text/html");
    const body = await r.text();
    expect(body).toContain("Request id: req-4711");
    expect(r.headers.get("x-request-id")).toBe("req-4711");
    for (const leak of LEAKS) expect(body).not.toContain(leak);
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
  });

  test("[security] an API 500 is a short JSON error with only the request id", async () => {
    const deps = { config: loadConfig({ LOG_LEVEL: "silent", SECRET_KEY: SECRET }), db: store.db };
    const api = buildApi(deps).get("/boom", boom);
    const r = await api.handle(new Request("http://localhost/boom", { headers: { "x-request-id": "req-4712" } }));
    expect(r.status).toBe(500);
    expect(r.headers.get("content-type")).toContain("application/json");
    const body = await r.text();
    expect(JSON.parse(body)).toEqual({ status: 500, error_msg: "Internal Server Error. Request id: req-4712" });
    expect(r.headers.get("x-request-id")).toBe("req-4712");
    for (const leak of LEAKS) expect(body).not.toContain(leak);
  });

  test("[security] database errors map to 503 when away and 400 for refused values, without their text", () => {
    expect(describeError("UNKNOWN", new DatabaseUnavailable("connect ECONNREFUSED 10.0.0.1:5432"))).toEqual({
      status: 503,
      message: "The database is unavailable; please try again shortly",
    });
    const refused = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: "22021" });
    expect(describeError("UNKNOWN", refused)).toEqual({ status: 400, message: "Bad request" });
    const check = Object.assign(new Error("violates check constraint messages_text_check"), { code: "23514" });
    expect(describeError("UNKNOWN", check)).toEqual({ status: 400, message: "Bad request" });
    const syntax = Object.assign(new Error("syntax error at or near SELECT"), { code: "42601" });
    expect(describeError("UNKNOWN", syntax)).toEqual({ status: 500, message: "Internal Server Error" });
  });

  test("[security] a NUL character reaching the database is a 400, not a 500", async () => {
    const deps = { config: loadConfig({ LOG_LEVEL: "silent" }), db: store.db };
    const web = buildWeb(deps);
    const r = await web.handle(
      new Request("http://localhost/login", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "username=a%00b&password=x",
      }),
    );
    expect([200, 400]).toContain(r.status);
    expect(r.headers.get("content-type")).toContain("text/html");
    const body = await r.text();
    for (const leak of LEAKS) expect(body).not.toContain(leak);
  });
});
