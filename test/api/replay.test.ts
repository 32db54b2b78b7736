import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { DEFAULT_SCENARIO, formatSummary, parseScenario } from "../../bench/simulate.ts";
import { expectedState, observedState, type Program, plain, replay, startWarmProgram, totals } from "./program.ts";

// The whole scenario takes tens of seconds on this 2-core machine.
setDefaultTimeout(300_000);

const actions = parseScenario(readFileSync(DEFAULT_SCENARIO, "utf8"));
let started: { program: Program; stop(): Promise<void> } | undefined;
let program: Program;

beforeAll(async () => {
  // PostgreSQL at TEST_DATABASE_URL in a throw-away database, else the embedded engine in memory.
  started = await startWarmProgram();
  program = started.program;
});

afterAll(async () => {
  await started?.stop();
});

test("[api] the scenario computes to 200 users, 11,306 messages and 6,265 follows", () => {
  expect(actions).toHaveLength(25_922);
  expect(totals(expectedState(actions))).toEqual({ users: 200, messages: 11_306, follows: 6_265 });
});

// 32 clients on both databases, as the benchmark. The embedded database runs its queries on a thread of
// its own (src/pglite-worker.ts); on the program's one thread, with shared_buffers at 32 MB and initdb's
// memory collected, its slowest answers at 32 clients were 84 and 107 ms here (at 16 clients: 66-292 ms). The replay starts after a `sync` (see
// settleDisk): without it, CI's earlier steps' writes were flushed mid-replay and PostgreSQL's commits
// waited behind them (a burst of 5-27 timeouts).
const CLIENTS = 32;

test(`[api] the real program replays the whole scenario at ${CLIENTS} clients: zero errors, none over 0.3 s`, async () => {
  const summary = await replay([program.api], CLIENTS);
  console.error(formatSummary(summary));
  if (summary.errors > 0) console.error(await program.log());
  expect(summary.errorsByKind).toEqual({});
  expect(summary.errors).toBe(0);
  expect(summary.latency.max).toBeLessThan(300);

  const expected = expectedState(actions);
  const observed = await observedState(program.api, [...expected.messages.keys()]);
  expect(totals(observed)).toEqual({ users: 200, messages: 11_306, follows: 6_265 });
  expect(plain(observed)).toEqual(plain(expected));
});
