// The benchmark tools' command lines: help, and a clear message with exit code 2 for bad arguments
// (before anything touches a database).
import { expect, test } from "bun:test";
import { join } from "node:path";
import { run } from "../run.ts";

const ROOT = join(import.meta.dir, "..", "..");

function runTool(script: string, args: string[]) {
  return run([process.execPath, script, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? "" } });
}

for (const [tool, script] of [
  ["seed", "bench/seed.ts"],
  ["bench", "bench/bench.ts"],
  ["simulate", "bench/simulate.ts"],
] as const) {
  test(`[bench] npm run ${tool} -- --help prints the usage and exits 0`, async () => {
    const r = await runTool(script, ["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`usage: npm run ${tool} --`);
  });

  test(`[bench] npm run ${tool} with an unknown option says which and exits 2, without a stack trace`, async () => {
    const r = await runTool(script, ["--bogus"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown option '--bogus'");
    expect(r.stderr).toContain(`usage: npm run ${tool} --`);
    expect(r.stderr).not.toContain("    at ");
  });
}

test("[bench] seed and bench refuse a size or duration that is not a number", async () => {
  const seed = await runTool("bench/seed.ts", ["--users", "many", "--database", "postgres://127.0.0.1:1/none"]);
  expect(seed.code).toBe(2);
  expect(seed.stderr).toContain('--users must be a whole number, not "many"');
  const bench = await runTool("bench/bench.ts", ["--seconds", "0", "--database", "postgres://127.0.0.1:1/none"]);
  expect(bench.code).toBe(2);
  expect(bench.stderr).toContain('--seconds must be a positive integer, not "0"');
});

test("[bench] seed and bench without a database say how to give one", async () => {
  for (const script of ["bench/seed.ts", "bench/bench.ts"]) {
    const r = await runTool(script, []);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no database: give --database URL or set DATABASE_URL");
  }
});
