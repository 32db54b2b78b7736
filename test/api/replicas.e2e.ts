// Replica safety: two program processes on two ports sharing one PostgreSQL database, the replayer
// spreading the users over both. Needs TEST_DATABASE_URL (.ci/run gives it); without it, it fails.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { DEFAULT_SCENARIO, formatSummary, parseScenario } from "../../bench/simulate.ts";
import { type TestDb, testDb } from "../helpers.ts";
import { expectedState, observedState, type Program, plain, replay, startProgram, totals, warmUp } from "./program.ts";

setDefaultTimeout(300_000);

const actions = parseScenario(readFileSync(DEFAULT_SCENARIO, "utf8"));
let store: TestDb;
let programs: Program[] = [];

beforeAll(async () => {
  if (!process.env.TEST_DATABASE_URL) throw new Error("replicas.e2e.ts needs TEST_DATABASE_URL (a PostgreSQL server)");
  store = await testDb();
  const env = { DATABASE_URL: store.url as string };
  // Started together: both run the migrations at once, under the advisory lock.
  programs = await Promise.all([startProgram(env), startProgram(env)]);
  await warmUp(programs.map((p) => p.api));
});

afterAll(async () => {
  await Promise.all(programs.map((p) => p.stop()));
  await store?.close();
});

test("[api] two replicas on one PostgreSQL replay the scenario at 32 clients with zero errors", async () => {
  const summary = await replay(
    programs.map((p) => p.api),
    32,
  );
  console.error(formatSummary(summary));
  if (summary.errors > 0) for (const p of programs) console.error(await p.log());
  expect(summary.servers).toBe(2);
  expect(summary.errorsByKind).toEqual({});
  expect(summary.errors).toBe(0);
  expect(summary.latency.max).toBeLessThan(300);
});

test("[api] both replicas see the same end state: 200 users, 11,306 messages, 6,265 follows", async () => {
  const expected = expectedState(actions);
  const users = [...expected.messages.keys()];
  for (const program of programs) {
    const observed = await observedState(program.api, users);
    expect(totals(observed)).toEqual({ users: 200, messages: 11_306, follows: 6_265 });
    expect(plain(observed)).toEqual(plain(expected));
  }
});

test("[api] latest is shared: recorded through one replica, read through the other", async () => {
  const [a, b] = programs as [Program, Program];
  const auth = { Authorization: `Basic ${btoa("simulator:super_safe!")}` };
  const reply = await fetch(`${a.api}/msgs?no=1&latest=424242`, { headers: auth });
  expect(reply.status).toBe(200);
  const latest = await fetch(`${b.api}/latest`);
  expect(latest.status).toBe(200);
  expect(latest.headers.get("content-type")).toContain("application/json");
  expect(await latest.json()).toEqual({ latest: 424242 });
});
