// Signing out ends the session: a copy of the cookie taken before is anonymous afterwards.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config.ts";
import { COOKIE_NAME, signSession } from "../../src/session.ts";
import { Client, startApp, type TestApp } from "../helpers.ts";

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
  await new Client(app.web).register("leaver");
}, 60_000);
afterAll(() => app.stop());

/** A request with exactly this cookie, as a thief holding a copy would send it. */
function withCookie(cookie: string, method: string, path: string, form?: Record<string, string>) {
  return fetch(`${app.web}${path}`, {
    method,
    headers: { cookie },
    body: form ? new URLSearchParams(form) : undefined,
    redirect: "manual",
  });
}

describe("[web] sessions end at sign-out", () => {
  test("[web] a cookie saved before sign-out is anonymous after it, for pages and for actions", async () => {
    const user = new Client(app.web);
    expect((await user.login("leaver")).text).toContain("You were logged in");
    const saved = user.cookie;
    const home = await withCookie(saved, "GET", "/");
    expect(home.status).toBe(200);
    expect(await home.text()).toContain("What's on your mind leaver?");
    expect((await user.logout()).text).toContain("You were logged out");

    const after = await withCookie(saved, "GET", "/");
    expect(after.status).toBe(302);
    expect(after.headers.get("location")).toBe("/public");
    // The dead cookie is cleared in the browser that still holds it.
    expect(after.headers.get("set-cookie")).toContain("Max-Age=0");
    const post = await withCookie(saved, "POST", "/add_message", { text: "written with a stolen cookie" });
    expect(post.status).toBe(401);
    const follow = await withCookie(saved, "GET", "/leaver/follow");
    expect(follow.status).toBe(401);
    const pub = await (await withCookie(saved, "GET", "/public")).text();
    expect(pub).not.toContain("written with a stolen cookie");
    expect(pub).toContain("sign in");
  });

  test("[web] signing out on one device leaves the user's other sessions signed in", async () => {
    const laptop = new Client(app.web);
    const phone = new Client(app.web);
    await laptop.login("leaver");
    await phone.login("leaver");
    await laptop.logout();
    const page = await phone.get("/");
    expect(page.status).toBe(200);
    expect(page.text).toContain("What's on your mind leaver?");
  });

  test("[web] a validly signed cookie naming no session, or none at all, is not signed in", async () => {
    const config = loadConfig({});
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const [leaver] = await app.db.query<{ id: number }>("users/by_name", ["leaver"]);
    for (const data of [
      { uid: leaver?.id, name: "leaver", exp }, // signed before sessions were kept
      { uid: leaver?.id, name: "leaver", sid: "made-up-session-id", exp },
    ]) {
      const cookie = `${COOKIE_NAME}=${signSession(data, config.secretKey)}`;
      const reply = await withCookie(cookie, "GET", "/");
      expect(reply.status).toBe(302);
      expect(reply.headers.get("location")).toBe("/public");
    }
  });

  test("[web] a session whose time in the database is over is not signed in", async () => {
    const user = new Client(app.web);
    await user.register("brief");
    await user.login("brief");
    expect((await user.get("/")).status).toBe(200);
    await app.db.exec(
      "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = (SELECT id FROM users WHERE username = 'brief')",
    );
    expect((await user.get("/", false)).status).toBe(302);
  });
});
