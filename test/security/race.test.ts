import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client, startApp, type TestApp } from "../helpers.ts";

// A busy two-core machine can slow these well past bun's 5 s default.

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
}, 60_000);
afterAll(() => app.stop());

describe("[security] races", () => {
  test("[security] twenty racing registrations of one name through the web form: exactly one succeeds", async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        new Client(app.web).post(
          "/register",
          { username: "racer", email: `racer${i}@example.com`, password: `pw${i}`, password2: `pw${i}` },
          false,
        ),
      ),
    );
    const won = answers.filter((a) => a.status === 303);
    const lost = answers.filter((a) => a.status === 200);
    expect(won.length).toBe(1);
    expect(won[0]?.headers.get("location")).toBe("/login");
    expect(lost.length).toBe(19);
    for (const a of lost) {
      expect(a.headers.get("content-type")).toContain("text/html");
      expect(a.text).toContain("The username is already taken");
    }
    const winner = answers.indexOf(won[0] as (typeof answers)[number]);
    const c = new Client(app.web);
    expect((await c.post("/login", { username: "racer", password: `pw${winner}` }, false)).status).toBe(303);
  });

  test("[security] racing follows and unfollows of one pair leave one row or none, never an error", async () => {
    const a = new Client(app.web);
    await a.register("racefan");
    await a.login("racefan");
    await new Client(app.web).register("racestar");
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => a.post(`/racestar/${i % 2 ? "unfollow" : "follow"}`, {}, false)),
    );
    for (const r of answers) expect(r.status).toBe(303);
    const rows = await app.db.query("follows/exists", [
      (await app.db.query<{ id: number }>("users/by_name", ["racefan"]))[0]?.id,
      (await app.db.query<{ id: number }>("users/by_name", ["racestar"]))[0]?.id,
    ]);
    expect(rows.length).toBeLessThanOrEqual(1);
  });
});
