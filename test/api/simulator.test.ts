import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { credentialCheck, NO_CAP, parseLatest } from "../../src/api/simulator.ts";
import { buildApi } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { startApp, type TestApp } from "../helpers.ts";

// Starting a database takes seconds when the machine is busy.

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
});
afterAll(() => app.stop());

const AUTH = "Basic c2ltdWxhdG9yOnN1cGVyX3NhZmUh";
// The course's simulator and its API test send exactly these headers.
const HEADERS = { Connection: "close", "Content-Type": "application/json", Authorization: AUTH };
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

interface Reply {
  status: number;
  type: string;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are read field by field and checked by the assertions
  json: () => any;
  headers: Headers;
}

async function call(
  method: string,
  path: string,
  options: { body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const response = await fetch(`${app.api}${path}`, {
    method,
    headers: options.headers ?? HEADERS,
    body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get("content-type") ?? "",
    text,
    json: () => JSON.parse(text),
    headers: response.headers,
  };
}

const post = (path: string, body: unknown) => call("POST", path, { body });
const get = (path: string) => call("GET", path);

function expectError(reply: Reply, status: number, message?: string | RegExp): void {
  expect(reply.status).toBe(status);
  expect(reply.type).toContain("application/json");
  const body = reply.json();
  expect(body.status).toBe(status);
  expect(typeof body.error_msg).toBe("string");
  if (typeof message === "string") expect(body.error_msg).toBe(message);
  else if (message) expect(body.error_msg).toMatch(message);
}

function expectNoContent(reply: Reply): void {
  expect(reply.status).toBe(204);
  expect(reply.text).toBe("");
}

async function latest(): Promise<number> {
  const reply = await call("GET", "/latest", { headers: {} });
  expect(reply.status).toBe(200);
  return reply.json().latest;
}

async function register(username: string): Promise<void> {
  expectNoContent(await post("/register", { username, email: `${username.replace(/\s/g, ".")}@x.org`, pwd: "p" }));
}

describe("[api] the course's own API test, as its Python requests script runs it", () => {
  test("[api] register, latest 1337 then 1, msgs, fllws, unfollow: every step and every latest", async () => {
    expect(await latest()).toBe(-1);
    expect((await post("/register?latest=1337", { username: "test", email: "test@test", pwd: "foo" })).status).toBe(
      204,
    );
    const reply = await call("GET", "/latest", { headers: HEADERS });
    expect(reply.status).toBe(200);
    expect(reply.type).toContain("application/json");
    expect(reply.json()).toEqual({ latest: 1337 });

    expectNoContent(await post("/register?latest=1", { username: "a", email: "a@a.a", pwd: "a" }));
    expect(await latest()).toBe(1);

    expectNoContent(await post("/msgs/a?latest=2", { content: "Blub!" }));
    expect(await latest()).toBe(2);

    const mine = await get("/msgs/a?no=20&latest=3");
    expect(mine.status).toBe(200);
    expect(mine.type).toContain("application/json");
    expect(mine.json().some((m: { content: string; user: string }) => m.content === "Blub!" && m.user === "a")).toBe(
      true,
    );
    expect(await latest()).toBe(3);

    const all = await get("/msgs?no=20&latest=4");
    expect(all.status).toBe(200);
    expect(all.json().some((m: { content: string; user: string }) => m.content === "Blub!" && m.user === "a")).toBe(
      true,
    );
    expect(await latest()).toBe(4);

    expectNoContent(await post("/register?latest=5", { username: "b", email: "b@b.b", pwd: "b" }));
    expect(await latest()).toBe(5);
    expectNoContent(await post("/register?latest=6", { username: "c", email: "c@c.c", pwd: "c" }));
    expect(await latest()).toBe(6);

    expectNoContent(await post("/fllws/a?latest=7", { follow: "b" }));
    expectNoContent(await post("/fllws/a?latest=8", { follow: "c" }));
    const follows = await get("/fllws/a?no=20&latest=9");
    expect(follows.status).toBe(200);
    expect(follows.type).toContain("application/json");
    expect(follows.json().follows).toContain("b");
    expect(follows.json().follows).toContain("c");
    expect(await latest()).toBe(9);

    expectNoContent(await post("/fllws/a?latest=10", { unfollow: "b" }));
    const after = await get("/fllws/a?no=20&latest=11");
    expect(after.status).toBe(200);
    expect(after.json().follows).not.toContain("b");
    expect(after.json().follows).toContain("c");
    expect(await latest()).toBe(11);
  });
});

describe("[api] authorization and latest", () => {
  test("[api] every endpoint but GET /latest answers 403 JSON without the credential or with a wrong one", async () => {
    const routes: [string, string, unknown?][] = [
      ["POST", "/register", { username: "auth1", email: "a@b", pwd: "p" }],
      ["GET", "/msgs"],
      ["GET", "/msgs/a"],
      ["POST", "/msgs/a", { content: "x" }],
      ["GET", "/fllws/a"],
      ["POST", "/fllws/a", { follow: "b" }],
    ];
    const wrong = `Basic ${btoa("simulator:wrong")}`;
    for (const headers of [{ "Content-Type": "application/json" }, { ...HEADERS, Authorization: wrong }]) {
      for (const [method, path, body] of routes) {
        const reply = await call(method, path, { body, headers });
        expect(reply.status).toBe(403);
        expect(reply.type).toContain("application/json");
        expect(reply.json()).toEqual({ status: 403, error_msg: "You are not authorized to use this resource!" });
      }
    }
    expect((await get("/msgs/auth1")).status).toBe(404);
  });

  test("[api] an unauthorized request does not record latest", async () => {
    expectNoContent(await post("/msgs/a?latest=500", { content: "x" }));
    const reply = await call("GET", "/msgs?latest=501", { headers: {} });
    expect(reply.status).toBe(403);
    expect(await latest()).toBe(500);
  });

  test("[api] the credential is configurable (SIM_USERNAME, SIM_PASSWORD) and the scheme case-insensitive", async () => {
    const other = buildApi({ config: loadConfig({ SIM_USERNAME: "bot", SIM_PASSWORD: "s3cret" }), db: app.db });
    const ask = (authorization: string) =>
      other.handle(new Request("http://localhost/msgs?no=1", { headers: { authorization } }));
    const ok = await ask(`Basic ${btoa("bot:s3cret")}`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toContain("application/json");
    expect((await ask(`basic ${btoa("bot:s3cret")}`)).status).toBe(200);
    expect((await ask(AUTH)).status).toBe(403);
    expect((await ask(`Basic ${btoa("bot:s3cret ")}`)).status).toBe(403);
    const check = credentialCheck({ simUsername: "simulator", simPassword: "super_safe!" });
    expect(check(AUTH)).toBe(true);
    expect(check(null)).toBe(false);
    expect(check("")).toBe(false);
    expect(check(`${AUTH}x`)).toBe(false);
  });

  test("[api] latest is recorded before the body is read or validated, even when the request fails", async () => {
    expectError(await call("POST", "/register?latest=601", { raw: "{not json" }), 400, "The body is not valid JSON");
    expect(await latest()).toBe(601);
    expectError(await post("/register?latest=602", { username: 5 }), 400);
    expect(await latest()).toBe(602);
    expectError(await post("/msgs/nobody-here?latest=603", { content: "x" }), 404);
    expect(await latest()).toBe(603);
    expectError(await post("/fllws/a?latest=604", {}), 400);
    expect(await latest()).toBe(604);
    expect((await get("/msgs?latest=605")).status).toBe(200);
    expect(await latest()).toBe(605);
    expect((await get("/msgs?latest=-7")).status).toBe(200);
    expect(await latest()).toBe(-7);
  });

  test("[api] latest that is not an integer is a 400 and leaves the value alone", async () => {
    expect((await get("/msgs?latest=700")).status).toBe(200);
    for (const bad of ["abc", "1.5", "1e3", "", "12345678901234567890", "0x10"]) {
      expectError(await get(`/msgs?latest=${bad}`), 400, "latest must be an integer");
    }
    expect(await latest()).toBe(700);
    expect(parseLatest(undefined)).toBeUndefined();
    expect(parseLatest("42")).toBe(42);
    expect(parseLatest(["1", "2"])).toBeNull();
  });

  test("[api] GET /latest needs no credential and answers JSON", async () => {
    const reply = await call("GET", "/latest", { headers: {} });
    expect(reply.status).toBe(200);
    expect(reply.type).toContain("application/json");
    expect(Number.isInteger(reply.json().latest)).toBe(true);
  });
});

describe("[api] POST /register", () => {
  test("[api] registers a user: 204, and the user then exists", async () => {
    expect((await get("/msgs/reg-new")).status).toBe(404);
    await register("reg-new");
    const reply = await get("/msgs/reg-new");
    expect(reply.status).toBe(200);
    expect(reply.type).toContain("application/json");
    expect(reply.json()).toEqual([]);
  });

  test("[api] the web's messages for a missing username, a bad email, a missing password, a taken name", async () => {
    await register("reg-taken");
    const cases: [unknown, string][] = [
      [{ username: "", email: "x@y", pwd: "p" }, "You have to enter a username"],
      [{ email: "x@y", pwd: "p" }, "You have to enter a username"],
      [{ username: "reg-x", email: "", pwd: "p" }, "You have to enter a valid email address"],
      [{ username: "reg-x", email: "no-at-sign", pwd: "p" }, "You have to enter a valid email address"],
      [{ username: "reg-x", pwd: "p" }, "You have to enter a valid email address"],
      [{ username: "reg-x", email: "x@y", pwd: "" }, "You have to enter a password"],
      [{ username: "reg-x", email: "x@y" }, "You have to enter a password"],
      [{ username: "reg-taken", email: "x@y", pwd: "p" }, "The username is already taken"],
    ];
    for (const [body, message] of cases) expectError(await post("/register", body), 400, message);
    expect((await get("/msgs/reg-x")).status).toBe(404);
  });

  test("[api] over-long names and emails, control characters and reserved names are refused", async () => {
    expectError(await post("/register", { username: "u".repeat(65), email: "x@y", pwd: "p" }), 400, /at most 64/);
    expectError(await post("/register", { username: "reg-e", email: `${"e".repeat(260)}@y`, pwd: "p" }), 400, /email/);
    expectError(await post("/register", { username: "tab\there", email: "x@y", pwd: "p" }), 400, /control/);
    expectError(await post("/register", { username: "latest", email: "x@y", pwd: "p" }), 400, /reserved/);
  });

  test("[api] 20 racing registrations of one name: exactly one 204, the rest 400 already taken", async () => {
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post("/register", { username: "racer", email: `r${i}@x.org`, pwd: "p" })),
    );
    expect(replies.filter((r) => r.status === 204)).toHaveLength(1);
    const losers = replies.filter((r) => r.status !== 204);
    expect(losers).toHaveLength(19);
    for (const reply of losers) expectError(reply, 400, "The username is already taken");
  });
});

describe("[api] messages", () => {
  test("[api] POST /msgs/{username} stores the message; GET shows content, ISO 8601 UTC pub_date, user", async () => {
    await register("Roger Histand");
    expectNoContent(await post("/msgs/Roger%20Histand", { content: "first" }));
    expectNoContent(await post("/msgs/Roger%20Histand", { content: "second" }));
    const reply = await get("/msgs/Roger%20Histand");
    expect(reply.status).toBe(200);
    expect(reply.type).toContain("application/json");
    const messages = reply.json();
    expect(messages.map((m: { content: string }) => m.content)).toEqual(["second", "first"]);
    for (const m of messages) {
      expect(Object.keys(m).sort()).toEqual(["content", "pub_date", "user"]);
      expect(m.user).toBe("Roger Histand");
      expect(m.pub_date).toMatch(ISO_UTC);
      expect(Math.abs(Date.parse(m.pub_date) - Date.now())).toBeLessThan(60_000);
    }
    expect((await get("/msgs/Roger Histand")).status).toBe(200);
    expect((await get("/msgs/roger%20histand")).status).toBe(404);
  });

  test("[api] GET /msgs is newest first across users and leaves flagged messages out", async () => {
    await register("msg-one");
    await register("msg-two");
    expectNoContent(await post("/msgs/msg-one", { content: "m1" }));
    expectNoContent(await post("/msgs/msg-two", { content: "m2 flagged" }));
    expectNoContent(await post("/msgs/msg-one", { content: "m3" }));
    await app.db.exec("UPDATE messages SET flagged = true WHERE text = 'm2 flagged'");
    const reply = await get("/msgs?no=2");
    expect(reply.status).toBe(200);
    expect(reply.type).toContain("application/json");
    expect(reply.json().map((m: { content: string; user: string }) => [m.content, m.user])).toEqual([
      ["m3", "msg-one"],
      ["m1", "msg-one"],
    ]);
    const two = await get("/msgs/msg-two");
    expect(two.json()).toEqual([]);
  });

  test("[api] no: default 100, 0 gives none, capped, not an integer or negative is a 400", async () => {
    await register("no-user");
    await app.db.exec(
      `INSERT INTO messages (author_id, text)
       SELECT id, 'bulk ' || n FROM users, generate_series(1, ${NO_CAP + 5}) AS n WHERE username = 'no-user'`,
    );
    expect((await get("/msgs/no-user")).json()).toHaveLength(100);
    expect((await get("/msgs")).json()).toHaveLength(100);
    expect((await get("/msgs/no-user?no=7")).json()).toHaveLength(7);
    expect((await get("/msgs/no-user?no=0")).json()).toHaveLength(0);
    const capped = await get(`/msgs/no-user?no=${NO_CAP * 10}`);
    expect(capped.status).toBe(200);
    expect(capped.json()).toHaveLength(NO_CAP);
    for (const bad of ["-1", "abc", "2.5", ""]) {
      expectError(await get(`/msgs?no=${bad}`), 400, "no must be a non-negative integer");
      expectError(await get(`/msgs/no-user?no=${bad}`), 400, "no must be a non-negative integer");
      expectError(await get(`/fllws/no-user?no=${bad}`), 400, "no must be a non-negative integer");
    }
  });

  test("[api] empty, blank, missing, over-long and non-string content is a 400 and stores nothing", async () => {
    await register("msg-bad");
    expectError(await post("/msgs/msg-bad", { content: "" }), 400, "You have to enter a message");
    expectError(await post("/msgs/msg-bad", { content: "   " }), 400, "You have to enter a message");
    expectError(await post("/msgs/msg-bad", {}), 400, "You have to enter a message");
    expectError(await post("/msgs/msg-bad", { content: 12 }), 400, "You have to enter a message");
    expectError(await post("/msgs/msg-bad", { content: "x".repeat(1001) }), 400, /at most 1000/);
    expectNoContent(await post("/msgs/msg-bad", { content: "y".repeat(1000) }));
    expect((await get("/msgs/msg-bad")).json()).toHaveLength(1);
  });

  test("[api] unknown users: 404 JSON for GET and POST /msgs/{username}", async () => {
    expectError(await get("/msgs/ghost"), 404);
    expectError(await post("/msgs/ghost", { content: "boo" }), 404);
  });

  test("[api] SQL and HTML in a message are stored and returned as text", async () => {
    await register("msg-sql");
    const text = `'); DROP TABLE messages; -- <script>alert("x")</script> & é 😀`;
    expectNoContent(await post("/msgs/msg-sql", { content: text }));
    const [message] = (await get("/msgs/msg-sql")).json();
    expect(message.content).toBe(text);
  });

  test("[api] 50 messages posted at once are all stored", async () => {
    await register("msg-many");
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => post("/msgs/msg-many", { content: `burst ${i}` })),
    );
    for (const reply of replies) expectNoContent(reply);
    expect((await get("/msgs/msg-many")).json()).toHaveLength(50);
  });
});

describe("[api] follows", () => {
  test("[api] follow is idempotent, unfollow of a pair that does not follow is a 204", async () => {
    for (const name of ["f-a", "f-b", "f-c"]) await register(name);
    expectNoContent(await post("/fllws/f-a", { follow: "f-b" }));
    expectNoContent(await post("/fllws/f-a", { follow: "f-b" }));
    expectNoContent(await post("/fllws/f-a", { follow: "f-c" }));
    const reply = await get("/fllws/f-a");
    expect(reply.status).toBe(200);
    expect(reply.type).toContain("application/json");
    expect(reply.json()).toEqual({ follows: ["f-b", "f-c"] });
    expectNoContent(await post("/fllws/f-b", { unfollow: "f-c" }));
    expectNoContent(await post("/fllws/f-a", { unfollow: "f-b" }));
    expectNoContent(await post("/fllws/f-a", { unfollow: "f-b" }));
    expect((await get("/fllws/f-a")).json()).toEqual({ follows: ["f-c"] });
    expect((await get("/fllws/f-b")).json()).toEqual({ follows: [] });
  });

  test("[api] GET /fllws/{username} gives at most no names", async () => {
    await register("f-many");
    for (let i = 0; i < 5; i++) {
      await register(`f-target-${i}`);
      expectNoContent(await post("/fllws/f-many", { follow: `f-target-${i}` }));
    }
    expect((await get("/fllws/f-many?no=3")).json().follows).toHaveLength(3);
    expect((await get("/fllws/f-many")).json().follows).toHaveLength(5);
  });

  test("[api] 404 when either user is unknown; 400 for neither or both keys", async () => {
    await register("f-known");
    expectError(await get("/fllws/ghost"), 404);
    expectError(await post("/fllws/ghost", { follow: "f-known" }), 404);
    expectError(await post("/fllws/f-known", { follow: "ghost" }), 404);
    expectError(await post("/fllws/f-known", { unfollow: "ghost" }), 404);
    expectError(await post("/fllws/f-known", {}), 400, 'Send exactly one of "follow" and "unfollow"');
    expectError(
      await post("/fllws/f-known", { follow: "f-known", unfollow: "f-known" }),
      400,
      'Send exactly one of "follow" and "unfollow"',
    );
    expectError(await post("/fllws/f-known", { follow: 3 }), 400, /follow/);
  });

  test("[api] racing follows and unfollows of one pair: no error, one relation or none, then consistent", async () => {
    await register("race-who");
    await register("race-whom");
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) => post("/fllws/race-who", { [i % 2 ? "unfollow" : "follow"]: "race-whom" })),
    );
    for (const reply of replies) expectNoContent(reply);
    const state = (await get("/fllws/race-who")).json().follows;
    expect(state.length === 0 || (state.length === 1 && state[0] === "race-whom")).toBe(true);
    const follows = await Promise.all(
      Array.from({ length: 10 }, () => post("/fllws/race-who", { follow: "race-whom" })),
    );
    for (const reply of follows) expectNoContent(reply);
    expect((await get("/fllws/race-who")).json()).toEqual({ follows: ["race-whom"] });
  });
});

describe("[api] bad input: a JSON 400, never a 500", () => {
  test("[api] bodies that are not JSON, not an object, of wrong types or with unknown or huge extra fields", async () => {
    await register("bad-body");
    const cases: [string, string, string | RegExp][] = [
      ["/register", "{not json", "The body is not valid JSON"],
      ["/register", "", "The body is empty: send a JSON object"],
      ["/register", "[1, 2]", "The body must be a JSON object"],
      ["/register", "null", "The body must be a JSON object"],
      ["/register", '"text"', "The body must be a JSON object"],
      ["/register", '{"username": ["a"], "email": "x@y", "pwd": "p"}', "You have to enter a username"],
      ["/register", '{"username": "bad-x", "email": {}, "pwd": "p"}', "You have to enter a valid email address"],
      ["/register", '{"username": "bad-x", "email": "x@y", "pwd": 1}', "You have to enter a password"],
      ["/register", '{"username": "bad-x", "email": "x@y", "pwd": "p", "admin": true}', 'Unknown field "admin"'],
      ["/msgs/bad-body", "{", "The body is not valid JSON"],
      ["/msgs/bad-body", "[]", "The body must be a JSON object"],
      ["/msgs/bad-body", `{"content": "ok", "junk": "${"j".repeat(40_000)}"}`, 'Unknown field "junk"'],
      ["/fllws/bad-body", "{'follow': 'x'}", "The body is not valid JSON"],
      ["/fllws/bad-body", '{"follow": null}', /follow/],
      ["/fllws/bad-body", '{"follow": "bad-body", "extra": 1}', 'Unknown field "extra"'],
    ];
    for (const [path, raw, message] of cases) {
      expectError(await call("POST", path, { raw }), 400, message);
    }
    expect((await get("/msgs/bad-x")).status).toBe(404);
    expect((await get("/msgs/bad-body")).json()).toEqual([]);
  });

  test("[api] a body without a JSON content type is still read as JSON", async () => {
    const reply = await call("POST", "/register", {
      raw: JSON.stringify({ username: "no-type", email: "n@t", pwd: "p" }),
      headers: { Authorization: AUTH },
    });
    expectNoContent(reply);
  });

  test("[api] invalid percent-encoding: 400 or 404; a very long path: 414 (the security limit); never 500", async () => {
    for (const reply of [await get("/msgs/%E0%A4%A"), await post("/msgs/%ZZ", { content: "x" })]) {
      expect([400, 404]).toContain(reply.status);
      expectError(reply, reply.status);
    }
    expectError(await get(`/msgs/${"n".repeat(5000)}`), 414);
    expectError(await get(`/${"deep/".repeat(500)}`), 404);
  });

  test("[api] an unknown route is a 404 JSON, a wrong method on a known route a 405 JSON with Allow", async () => {
    expectError(await get("/nothing-here"), 404, "Not Found");
    expectError(await call("GET", "/register"), 405, "Method Not Allowed");
    expect((await call("GET", "/register")).headers.get("allow")).toBe("POST");
    expectError(await call("DELETE", "/msgs/a"), 405);
    expect((await call("DELETE", "/msgs/a")).headers.get("allow")).toBe("GET, POST");
    expectError(await call("POST", "/latest", { body: {} }), 405);
  });
});

describe("[api] documentation and health", () => {
  test("[api] GET /openapi.json is an OpenAPI 3 document generated from the route schemas", async () => {
    const reply = await call("GET", "/openapi.json", { headers: {} });
    expect(reply.status).toBe(200);
    expect(reply.type).toContain("application/json");
    const spec = reply.json();
    expect(spec.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.paths).sort()).toEqual([
      "/fllws/{username}",
      "/latest",
      "/msgs",
      "/msgs/{username}",
      "/register",
    ]);
    const register = spec.paths["/register"].post;
    const schema = register.requestBody.content["application/json"].schema;
    expect(schema.required.sort()).toEqual(["email", "pwd", "username"]);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(register.responses)).toEqual(expect.arrayContaining(["204", "400", "403"]));
    expect(spec.paths["/msgs"].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(["latest", "no"]);
    expect(spec.components.securitySchemes.simulator).toEqual({ type: "http", scheme: "basic" });
    expect(spec.info.description).toContain(String(NO_CAP));
  });

  test("[api] GET /docs is a reference page that reads /openapi.json", async () => {
    const reply = await call("GET", "/docs", { headers: {} });
    expect(reply.status).toBe(200);
    expect(reply.type).toContain("text/html");
    expect(reply.text).toContain("MiniTwit simulator API");
    expect(reply.text).toContain("openapi.json");
  });

  test("[api] /health answers on the API port", async () => {
    const reply = await call("GET", "/health", { headers: {} });
    expect(reply.status).toBe(200);
    expect(reply.type).toContain("application/json");
    expect(reply.json()).toEqual({ status: "ok" });
  });
});
