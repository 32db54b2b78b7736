import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, startApp, type TestApp } from "../helpers.ts";

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
});
afterAll(() => app.stop());

function client() {
  return new Client(app.web);
}

describe("[web] registration", () => {
  test("[web] POST /register succeeds, flashes and redirects to /login", async () => {
    const c = client();
    const raw = await c.post(
      "/register",
      { username: "reg1", email: "reg1@example.com", password: "a", password2: "a" },
      false,
    );
    expect(raw.status).toBe(303);
    expect(raw.headers.get("location")).toBe("/login");
    const page = await c.get("/login");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.text).toContain("You were successfully registered and can login now");
  });

  test("[web] registration errors come in the original's order with its exact messages", async () => {
    const c = client();
    await c.register("taken1");
    const cases: [Record<string, string>, string][] = [
      [{ username: "", email: "x@y", password: "a", password2: "a" }, "You have to enter a username"],
      [{ username: "n1", email: "", password: "a", password2: "a" }, "You have to enter a valid email address"],
      [{ username: "n1", email: "broken", password: "a", password2: "a" }, "You have to enter a valid email address"],
      [{ username: "n1", email: "x@y", password: "", password2: "" }, "You have to enter a password"],
      [{ username: "n1", email: "x@y", password: "a", password2: "b" }, "The two passwords do not match"],
      [{ username: "taken1", email: "x@y", password: "a", password2: "a" }, "The username is already taken"],
    ];
    for (const [form, message] of cases) {
      const page = await client().post("/register", form);
      expect(page.status).toBe(200);
      expect(page.text).toContain(message);
    }
  });

  test("[web] the form keeps what was typed after an error, escaped, and never the passwords", async () => {
    const page = await client().post("/register", {
      username: 'say "hi"',
      email: "no-at-sign",
      password: "pw-secret",
      password2: "pw-secret",
    });
    expect(page.text).toContain('value="say &#34;hi&#34;"');
    expect(page.text).toContain('value="no-at-sign"');
    expect(page.text).not.toContain("pw-secret");
  });

  test("[web] reserved names are refused with a clear error", async () => {
    for (const name of ["public", "login", "register", "static", "health", "add_message"]) {
      const page = await client().register(name);
      expect(page.text).toContain("This username is reserved");
    }
  });

  test("[web] control characters and over-long usernames are refused", async () => {
    expect((await client().register("bad\u0001name")).text).toContain("control characters");
    expect((await client().register("x".repeat(65))).text).toContain("at most 64 characters");
  });

  test("[web] signed in, /register and /login redirect to /", async () => {
    const c = client();
    await c.register("already");
    await c.login("already");
    for (const path of ["/register", "/login"]) {
      const r = await c.get(path, false);
      expect(r.status).toBe(302);
      expect(r.headers.get("location")).toBe("/");
    }
  });
});

describe("[web] sign in and out", () => {
  test("[web] login with a good password flashes and shows the home timeline", async () => {
    const c = client();
    await c.register("login1", "pw1");
    const r = await c.post("/login", { username: "login1", password: "pw1" }, false);
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/");
    const setCookie = r.headers.get("set-cookie") ?? "";
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Lax");
    const home = await c.get("/");
    expect(home.text).toContain("You were logged in");
    expect(home.text).toContain("My Timeline");
    expect(home.text).toContain("sign out [login1]");
  });

  test("[web] wrong username and wrong password get the exact errors", async () => {
    const c = client();
    await c.register("login2", "right");
    expect((await c.login("nobody-here", "right")).text).toContain("Invalid username");
    expect((await c.login("login2", "wrong")).text).toContain("Invalid password");
  });

  test("[web] logout flashes, clears the session and redirects to /public", async () => {
    const c = client();
    await c.register("logout1");
    await c.login("logout1");
    const r = await c.get("/logout", false);
    expect(r.status).toBe(302);
    expect(r.headers.get("location")).toBe("/public");
    const page = await c.get("/public");
    expect(page.text).toContain("You were logged out");
    expect(page.text).toContain("sign in");
    const home = await c.get("/", false);
    expect(home.status).toBe(302);
    expect(home.headers.get("location")).toBe("/public");
  });

  test("[web] a flash survives exactly one redirect and then disappears", async () => {
    const c = client();
    await c.register("flash1");
    const first = await c.login("flash1");
    expect(first.text).toContain("You were logged in");
    const second = await c.get("/");
    expect(second.text).not.toContain("You were logged in");
  });

  test("[web] a tampered session cookie means not signed in", async () => {
    const c = client();
    await c.register("tamper1");
    await c.login("tamper1");
    const [name, value] = c.cookie.split("=") as [string, string];
    const body = JSON.parse(Buffer.from(value.split(".")[0] as string, "base64url").toString());
    body.uid = 1;
    body.name = "someone-else";
    c.cookie = `${name}=${Buffer.from(JSON.stringify(body)).toString("base64url")}.${value.split(".")[1]}`;
    const r = await c.get("/", false);
    expect(r.status).toBe(302);
    expect(r.headers.get("location")).toBe("/public");
  });
});

describe("[web] timelines and messages", () => {
  test("[web] GET / anonymous redirects to /public", async () => {
    const r = await client().get("/", false);
    expect(r.status).toBe(302);
    expect(r.headers.get("location")).toBe("/public");
  });

  test("[web] posting shows the message escaped, with the twit box and flash", async () => {
    const c = client();
    await c.register("poster");
    await c.login("poster");
    const home = await c.get("/");
    expect(home.text).toContain("<h3>What's on your mind poster?</h3>");
    expect(home.text).toContain('action="/add_message"');
    const r = await c.post("/add_message", { text: "test message 1" }, false);
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/");
    const after = await c.get("/");
    expect(after.text).toContain("Your message was recorded");
    expect(after.text).toContain("test message 1");
    await c.post("/add_message", { text: "<test message 2>" });
    const again = await c.get("/");
    expect(again.text).toContain("&lt;test message 2&gt;");
    expect(again.text).not.toContain("<test message 2>");
  });

  test("[web] messages show the program's own avatar, an author link and a UTC date", async () => {
    const c = client();
    await c.post("/register", { username: "Grav Atar", email: " Grav@Example.com ", password: "p", password2: "p" });
    await c.login("Grav Atar", "p");
    await c.post("/add_message", { text: "with a face" });
    const page = await c.get("/public");
    const key = new Bun.CryptoHasher("md5").update("Grav Atar").digest("hex");
    expect(page.text).toContain(`<img class="avatar" src="/static/avatars/${key}.svg" alt="" width="48" height="48"/>`);
    expect(page.text).not.toContain("gravatar.com");
    expect(page.text).toContain('<a href="/Grav%20Atar">Grav Atar</a>');
    expect(page.text).toMatch(/&mdash; \d{4}-\d{2}-\d{2} @ \d{2}:\d{2}/);
    const [row] = await app.db.query<{ pub_date: Date }>("messages/user_timeline", [
      1,
      (await app.db.query<{ id: number }>("users/by_name", ["Grav Atar"]))[0]?.id,
    ]);
    const iso = new Date(row?.pub_date as Date).toISOString();
    expect(page.text).toContain(`${iso.slice(0, 10)} @ ${iso.slice(11, 16)}`);
  });

  test("[web] empty and over-long messages are not recorded", async () => {
    const c = client();
    await c.register("emptyposter");
    await c.login("emptyposter");
    const empty = await c.post("/add_message", { text: "" });
    expect(empty.text).not.toContain("Your message was recorded");
    const long = await c.post("/add_message", { text: "x".repeat(1001) });
    expect(long.text).toContain("Your message was not recorded");
    expect((await c.get("/emptyposter")).text).toContain("There's no message so far.");
  });

  test("[web] POST /add_message anonymous is 401", async () => {
    const r = await client().post("/add_message", { text: "nope" }, false);
    expect(r.status).toBe(401);
    expect(r.headers.get("content-type")).toContain("text/html");
  });

  test("[web] SQL text is stored and shown as text", async () => {
    const c = client();
    await c.register("sqlposter");
    await c.login("sqlposter");
    await c.post("/add_message", { text: "'); DROP TABLE messages; --" });
    const page = await c.get("/sqlposter");
    expect(page.text).toContain("&#39;); DROP TABLE messages; --");
  });

  test("[web] a user's page answers 404 for an unknown user and matches names exactly", async () => {
    expect((await client().get("/no-such-user")).status).toBe(404);
    const c = client();
    await c.register("Case Sensitive");
    expect((await client().get("/Case%20Sensitive")).status).toBe(200);
    expect((await client().get("/case%20sensitive")).status).toBe(404);
    expect((await client().get("/Case%20Sensitive")).text).toContain("Case Sensitive&#39;s Timeline");
  });
});

describe("[web] follow and unfollow", () => {
  test("[web] follow, see their messages at home, unfollow, with the exact flashes", async () => {
    const a = client();
    const b = client();
    await a.register("foo");
    await b.register("bar");
    await a.login("foo");
    await b.login("bar");
    await a.post("/add_message", { text: "the message by foo" });
    await b.post("/add_message", { text: "the message by bar" });
    const status = await b.get("/foo");
    expect(status.text).toContain("You are not yet following this user.");
    const r = await b.request("GET", "/foo/follow");
    expect(r.status).toBe(302);
    expect(r.headers.get("location")).toBe("/foo");
    const followed = await b.get("/foo");
    expect(followed.text).toContain("You are now following &#34;foo&#34;");
    expect(followed.text).toContain("You are currently following this user.");
    const home = await b.get("/");
    expect(home.text).toContain("the message by foo");
    expect(home.text).toContain("the message by bar");
    expect((await a.get("/foo")).text).toContain("This is you!");
    const un = await b.post("/foo/unfollow", {}, false);
    expect(un.status).toBe(303);
    const unfollowed = await b.get("/foo");
    expect(unfollowed.text).toContain("You are no longer following &#34;foo&#34;");
    expect((await b.get("/")).text).not.toContain("the message by foo");
  });

  test("[web] follow is idempotent and the POST controls work", async () => {
    const a = client();
    await a.register("idem-a");
    await client().register("idem-b");
    await a.login("idem-a");
    await a.post("/idem-b/follow", {});
    await a.post("/idem-b/follow", {});
    const rows = await app.db.query<{ found: number }>("follows/exists", [
      (await app.db.query<{ id: number }>("users/by_name", ["idem-a"]))[0]?.id,
      (await app.db.query<{ id: number }>("users/by_name", ["idem-b"]))[0]?.id,
    ]);
    expect(rows.length).toBe(1);
    const page = await a.get("/idem-b");
    expect(page.text).toContain('action="/idem-b/unfollow" method="post"');
    await a.post("/idem-b/unfollow", {});
    await a.post("/idem-b/unfollow", {});
    expect((await a.get("/idem-b")).text).toContain("You are not yet following this user.");
  });

  test("[web] follow routes: 401 anonymous, 404 for an unknown user", async () => {
    expect((await client().get("/foo/follow", false)).status).toBe(401);
    expect((await client().post("/foo/unfollow", {}, false)).status).toBe(401);
    const c = client();
    await c.register("follower404");
    await c.login("follower404");
    expect((await c.get("/ghost/follow", false)).status).toBe(404);
    expect((await c.post("/ghost/unfollow", {}, false)).status).toBe(404);
  });
});

describe("[web] paging", () => {
  test("[web] every timeline pages backwards with an older-messages cursor, ties broken by id", async () => {
    const c = client();
    await c.register("pager");
    await c.login("pager");
    const [user] = await app.db.query<{ id: number }>("users/by_name", ["pager"]);
    // 65 messages with one identical timestamp: order must come from the id alone.
    await app.db.exec(
      `INSERT INTO messages (author_id, text, pub_date) SELECT ${user?.id}, 'page msg ' || g, '2030-01-01T00:00:00Z' FROM generate_series(1, 65) g`,
    );
    for (const path of ["/", "/public", "/pager"]) {
      const seen: string[] = [];
      let url = path;
      for (let i = 0; i < 5 && url; i++) {
        const page = await c.get(url);
        seen.push(...[...page.text.matchAll(/page msg (\d+)/g)].map((m) => m[1] as string));
        const next = page.text.match(/href="(\?before=\d+)"/);
        url = next ? `${path}${next[1]}` : "";
      }
      expect(seen.slice(0, 65)).toEqual(Array.from({ length: 65 }, (_, i) => String(65 - i)));
    }
  });
});

describe("[web] static, health and errors", () => {
  test("[web] the stylesheet is served with caching headers", async () => {
    const r = await client().get("/static/style.css");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("text/css");
    expect(r.headers.get("cache-control")).toContain("max-age");
    expect(r.text).toContain(".page");
  });

  test("[web] /health answers 200 JSON when the database answers", async () => {
    const r = await client().get("/health");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("application/json");
    expect(JSON.parse(r.text).status).toBe("ok");
  });

  test("[web] pages are HTML5 with a viewport, title and navigation", async () => {
    const r = await client().get("/public");
    expect(r.text.startsWith("<!doctype html>")).toBe(true);
    expect(r.text).toContain('<meta name="viewport"');
    expect(r.text).toContain("<title>Public Timeline | MiniTwit</title>");
    expect(r.text).toContain("<h1>MiniTwit</h1>");
    expect(r.text).toContain('public timeline</a> | <a href="/register">sign up</a> | <a href="/login">sign in</a>');
  });

  test("[web] an unknown nested path is a 404 page", async () => {
    const r = await client().get("/a/b/c");
    expect(r.status).toBe(404);
    expect(r.headers.get("content-type")).toContain("text/html");
    expect(r.text).toContain("404");
  });
});
