// Limits and sessions that hold across replicas: two program processes on one PostgreSQL database share
// the login throttle's counts, and a sign-out on one ends the session on the other.
// Needs TEST_DATABASE_URL (.ci/run gives it).
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { LOGIN_MAX_FAILURES, LOGIN_WINDOW_SECONDS } from "../../src/data/throttle.ts";
import { type Program, startProgram } from "../api/program.ts";
import { Client, type TestDb, testDb } from "../helpers.ts";

setDefaultTimeout(120_000);

let store: TestDb;
let a: Program;
let b: Program;

beforeAll(async () => {
  if (!process.env.TEST_DATABASE_URL) throw new Error("replicas.e2e.ts needs TEST_DATABASE_URL (a PostgreSQL server)");
  store = await testDb();
  // The processes listen on loopback, a trusted proxy by default: X-Forwarded-For names the client.
  [a, b] = await Promise.all([
    startProgram({ DATABASE_URL: store.url as string }),
    startProgram({ DATABASE_URL: store.url as string }),
  ]);
  for (const name of ["guarded", "traveller"]) {
    expect((await new Client(a.web).register(name, "right")).text).toContain("You were successfully registered");
  }
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await store?.close();
});

function login(program: Program, password: string, from: string) {
  return fetch(`${program.web}/login`, {
    method: "POST",
    body: new URLSearchParams({ username: "guarded", password }),
    headers: { "x-forwarded-for": from },
    redirect: "manual",
  });
}

test("[security] two replicas share the login throttle: 20 failures in all, then 429 on both", async () => {
  const from = "203.0.113.50";
  for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
    const reply = await login(i % 2 === 0 ? a : b, "wrong", from);
    expect(reply.status).toBe(200);
    expect(await reply.text()).toContain("Invalid password");
  }
  for (const program of [a, b]) {
    const blocked = await login(program, "right", from);
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get("content-type")).toContain("text/html");
    const wait = Number(blocked.headers.get("retry-after"));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(LOGIN_WINDOW_SECONDS);
    expect(await blocked.text()).toContain("Too many failed sign-in attempts");
  }
  // Another address is not affected, on either replica.
  expect((await login(b, "right", "203.0.113.51")).status).toBe(303);
  expect((await login(a, "right", "203.0.113.52")).status).toBe(303);
});

test("[security] a cookie saved before sign-out on one replica is signed out on the other", async () => {
  const user = new Client(a.web);
  expect((await user.login("traveller", "right")).text).toContain("You were logged in");
  const saved = user.cookie;
  const onB = new Client(b.web);
  onB.cookie = saved;
  expect((await onB.get("/")).text).toContain("What's on your mind traveller?");

  expect((await user.logout()).text).toContain("You were logged out");

  const replayed = new Client(b.web);
  replayed.cookie = saved;
  const home = await replayed.get("/", false);
  expect(home.status).toBe(302);
  expect(home.headers.get("location")).toBe("/public");
  replayed.cookie = saved;
  const post = await replayed.post("/add_message", { text: "after sign-out" }, false);
  expect(post.status).toBe(401);
  const back = new Client(a.web);
  back.cookie = saved;
  expect((await back.get("/", false)).status).toBe(302);
});
