// `npm run soak` for one minute against the real program on PostgreSQL (TEST_DATABASE_URL) or the
// embedded database: it keeps working, reports every interval, and its verdict matches its exit code.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { SoakResult } from "../../bench/soak.ts";
import { residentMb } from "../../bench/soak.ts";
import { type Program, startProgram, warmUp } from "../api/program.ts";
import { type TestDb, testDb } from "../helpers.ts";
import { run } from "../run.ts";

const ROOT = join(import.meta.dir, "..", "..");
let store: TestDb | undefined;
let program: Program;

beforeAll(async () => {
  if (process.env.TEST_DATABASE_URL) store = await testDb();
  program = await startProgram(store?.url ? { DATABASE_URL: store.url } : { DATA_DIR: "memory://" });
  await warmUp([program.api]);
}, 120_000);

afterAll(async () => {
  await program?.stop();
  await store?.close();
});

test("[bench] residentMb reads process_resident_memory_bytes from a metrics page", () => {
  expect(residentMb("# HELP x\nprocess_resident_memory_bytes 157286400\nother 1\n")).toBe(150);
  expect(residentMb("nothing here\n")).toBeUndefined();
});

test("[bench] npm run soak for one minute: six 10 s intervals of writes, reads and memory, 0 errors, exit code = verdict", async () => {
  const { code, stdout, stderr } = await run(
    [
      process.execPath,
      "bench/soak.ts",
      ...["--base", program.api, "--web", program.web, "--metrics", program.metrics],
      ...["--minutes", "1", "--interval", "10", "--json"],
    ],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? "" } },
  );
  if (code !== 0) console.error(stdout, stderr);
  const result = JSON.parse(stdout) as SoakResult;
  console.error(
    result.intervals
      .map(
        (i) =>
          `${i.end} s: writes ${i.writes.count} p99 ${i.writes.p99} | reads ${i.reads.count} p99 ${i.reads.p99} | ${i.rssMb} MB`,
      )
      .join("\n"),
  );
  expect(result.intervals.map((i) => i.end)).toEqual([10, 20, 30, 40, 50, 60]);
  for (const interval of result.intervals) {
    expect(interval.writes.count).toBeGreaterThan(0);
    expect(interval.reads.count).toBeGreaterThan(0);
    expect(interval.rssMb).toBeGreaterThan(20);
  }
  expect(result.errors).toBe(0);
  expect(result.window).toBe(2);
  expect(result.held).toBe(result.reasons.length === 0);
  expect(code).toBe(result.held ? 0 : 1);
}, 120_000);
