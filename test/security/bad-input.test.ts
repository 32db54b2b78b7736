import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { LIMITS } from "../../src/data/users.ts";
import { BODY_LIMIT } from "../../src/security.ts";
import { Client, startApp, type TestApp } from "../helpers.ts";

// A busy two-core machine can slow these well past bun's 5 s default.

let app: TestApp;
let author: Client;
beforeAll(async () => {
  app = await startApp();
  author = new Client(app.web);
  await author.register("bad");
  await author.login("bad");
}, 60_000);
afterAll(() => app.stop());

function raw(base: string, path: string, init: RequestInit = {}) {
  return fetch(base + path, { redirect: "manual", ...init });
}

/** Deterministic bytes, including invalid UTF-8 and NUL. */
function bytes(n: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe("[security] bad input on the web pages", () => {
  test("[security] binary and malformed bodies get a clear answer, never a 500", async () => {
    const types = [
      "application/x-www-form-urlencoded",
      "application/octet-stream",
      "multipart/form-data; boundary=zzz",
      "multipart/form-data",
      "application/json",
      "text/plain",
      "image/png",
    ];
    for (const path of ["/register", "/login", "/add_message", "/bad/follow"]) {
      for (const [i, type] of types.entries()) {
        const r = await raw(app.web, path, {
          method: "POST",
          headers: { "content-type": type, cookie: author.cookie },
          body: bytes(2000, i + 1),
        });
        const where = `${path} ${type}`;
        expect([200, 302, 303, 400, 401, 415], where).toContain(r.status);
        expect(r.headers.get("content-type") ?? "text/html", where).toContain("text/html");
        await r.arrayBuffer();
      }
    }
    const json = await raw(app.web, "/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(json.status).toBe(400);
    expect(json.headers.get("content-type")).toContain("text/html");
    expect(await json.text()).toContain("The body is not valid JSON");
  });

  test("[security] over-long fields are refused with a form error and not stored", async () => {
    const cases: [Record<string, string>, string][] = [
      [
        { username: "u".repeat(LIMITS.username + 1), email: "a@b", password: "p", password2: "p" },
        `The username must be at most ${LIMITS.username} characters`,
      ],
      [
        { username: "longmail", email: `${"e".repeat(LIMITS.email)}@b`, password: "p", password2: "p" },
        `The email address must be at most ${LIMITS.email} characters`,
      ],
      [
        { username: "longpw", email: "a@b", password: "p".repeat(LIMITS.password + 1), password2: "x" },
        `The password must be at most ${LIMITS.password} characters`,
      ],
    ];
    for (const [form, message] of cases) {
      const page = await new Client(app.web).post("/register", form, false);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toContain("text/html");
      expect(page.text).toContain(message);
    }
    expect((await raw(app.web, "/longmail")).status).toBe(404);
    const long = await author.post("/add_message", { text: "m".repeat(1001) });
    expect(long.status).toBe(200);
    expect(long.text).toContain("Your message was not recorded: A message can have at most 1000 characters");
    const empty = await author.post("/add_message", { text: "" });
    expect(empty.text).toContain("Your message was not recorded: You have to enter a message");
    const missing = await author.post("/add_message", {});
    expect(missing.text).toContain("Your message was not recorded: You have to enter a message");
    expect((await author.get("/bad")).text).toContain("There's no message so far.");
  });

  test("[security] control characters: refused in names and addresses, NUL refused in messages", async () => {
    for (const username of ["tab\there", "nl\nx", "nul\u0000x", "del\u007fx"]) {
      const page = await new Client(app.web).post("/register", {
        username,
        email: "a@b",
        password: "p",
        password2: "p",
      });
      expect(page.status).toBe(200);
      expect(page.text).toContain("The username may not contain control characters");
    }
    const mail = await new Client(app.web).post("/register", {
      username: "nulmail",
      email: "a\u0000@b",
      password: "p",
      password2: "p",
    });
    expect(mail.text).toContain("You have to enter a valid email address");
    const nul = await author.post("/add_message", { text: "before\u0000after" });
    expect(nul.status).toBe(200);
    expect(nul.text).toContain("Your message was not recorded: A message cannot contain NUL characters");
    const login = await new Client(app.web).post("/login", { username: "x\u0000y", password: "p" }, false);
    expect([200, 400]).toContain(login.status);
  });

  test("[security] script and SQL text is stored and shown as text", async () => {
    const name = `<b onmouseover='x'>&"`;
    const c = new Client(app.web);
    await c.register(name, "pw", "x@example.com");
    const signIn = await c.post("/login", { username: name, password: "pw" });
    expect(signIn.text).toContain("sign out [&lt;b onmouseover=&#39;x&#39;&gt;&amp;&#34;]");
    const texts = [`<img src=x onerror="alert(1)">`, "'; DROP TABLE users; --", `" OR 1=1 --`, "&amp; &lt;"];
    for (const text of texts) expect((await c.post("/add_message", { text }, false)).status).toBe(303);
    const page = await c.get(`/${encodeURIComponent(name)}`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.text).not.toContain("<b onmouseover");
    expect(page.text).not.toContain("<img src=x");
    expect(page.text).toContain("&lt;img src=x onerror=&#34;alert(1)&#34;&gt;");
    expect(page.text).toContain("&#39;; DROP TABLE users; --");
    expect(page.text).toContain("&#34; OR 1=1 --");
    expect(page.text).toContain("&amp;amp; &amp;lt;");
    expect((await c.get("/public")).text).toContain("&#39;; DROP TABLE users; --");
  });

  test("[security] invalid percent-encoding in the path is 400, in the query harmless", async () => {
    for (const path of ["/%E0%A4%A", "/%zz", "/%", "/bad%2", "/%C0%AF/follow", "/%00", "/a%0Ab"]) {
      const r = await raw(app.web, path);
      expect(r.status, path).toBe(400);
      expect(r.headers.get("content-type")).toContain("text/html");
      await r.arrayBuffer();
    }
    const q = await raw(app.web, "/public?before=%E0%A4%A&x=%zz");
    expect(q.status).toBe(200);
    await q.arrayBuffer();
  });

  test("[security] very long paths, queries and headers are refused without a 500", async () => {
    const long = await raw(app.web, `/${"a".repeat(5000)}`);
    expect(long.status).toBe(414);
    expect(long.headers.get("content-type")).toContain("text/html");
    expect(await long.text()).toContain("The address is too long");
    const query = await raw(app.web, `/public?before=${"9".repeat(5000)}`);
    expect(query.status).toBe(414);
    await query.arrayBuffer();
    const huge = await raw(app.web, `/${"a".repeat(100_000)}`);
    expect([414, 431]).toContain(huge.status);
    await huge.arrayBuffer();
    const header = await raw(app.web, "/public", { headers: { "x-long": "h".repeat(100_000) } });
    expect(header.status).toBe(431);
    await header.arrayBuffer();
    const cookie = await raw(app.web, "/public", { headers: { cookie: `minitwit_session=${"c".repeat(8000)}` } });
    expect(cookie.status).toBe(200);
    await cookie.arrayBuffer();
    const name = await raw(app.web, `/${"n".repeat(3000)}`);
    expect(name.status).toBe(404);
    await name.arrayBuffer();
  });

  test("[security] bodies over the limit get a clear 413, with or without Content-Length", async () => {
    const big = `text=${"a".repeat(BODY_LIMIT)}`;
    const sized = await raw(app.web, "/add_message", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: author.cookie },
      body: big,
    });
    expect(sized.status).toBe(413);
    expect(sized.headers.get("content-type")).toContain("text/html");
    expect(await sized.text()).toContain("The request body is larger than 64 KiB");
    const chunked = await raw(app.web, "/add_message", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: author.cookie },
      body: new Blob([big]).stream(),
    });
    expect(chunked.status).toBe(413);
    expect(await chunked.text()).toContain("The request body is larger than 64 KiB");
    const justUnder = await raw(app.web, "/add_message", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: author.cookie },
      body: `text=${"a".repeat(BODY_LIMIT - 100)}`,
    });
    expect(justUnder.status).toBe(303);
    await justUnder.arrayBuffer();
    expect((await author.get("/bad")).text).not.toContain("a".repeat(1001));
  });

  test("[security] an unknown user in any path is 404", async () => {
    for (const path of ["/nobody", "/nobody/follow", "/nobody/unfollow", "/Roger%20Histand"]) {
      const r = await author.get(path, false);
      expect(r.status, path).toBe(404);
      expect(r.headers.get("content-type")).toContain("text/html");
    }
  });
});

describe("[security] bad input on the API port", () => {
  test("[security] the API answers 413 JSON for an over-limit body", async () => {
    const r = await raw(app.api, "/msgs/bad", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ content: "x".repeat(BODY_LIMIT) }),
    });
    expect(r.status).toBe(413);
    expect(r.headers.get("content-type")).toContain("application/json");
    expect(await r.json()).toEqual({ status: 413, error_msg: "The request body is larger than 64 KiB" });
  });

  test("[security] the API answers 414 for a very long path and 400 for invalid encoding, in JSON", async () => {
    const long = await raw(app.api, `/msgs/${"a".repeat(5000)}`);
    expect(long.status).toBe(414);
    expect(long.headers.get("content-type")).toContain("application/json");
    expect(await long.json()).toEqual({ status: 414, error_msg: "The address is too long" });
    for (const path of ["/msgs/%E0%A4%A", "/fllws/%zz", "/%"]) {
      const r = await raw(app.api, path);
      expect(r.status, path).toBe(400);
      expect(r.headers.get("content-type")).toContain("application/json");
      expect(await r.json()).toEqual({ status: 400, error_msg: "The address is not validly percent-encoded" });
    }
    const header = await raw(app.api, "/latest", { headers: { "x-long": "h".repeat(100_000) } });
    expect(header.status).toBe(431);
    await header.arrayBuffer();
  });
});
