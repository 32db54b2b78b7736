// Progress of the long commands: a line redrawn on a terminal, plain periodic lines otherwise, nothing with --json.
import { expect, test } from "bun:test";
import { join } from "node:path";
import { createProgress, describe as describeState, duration } from "../../bench/progress.ts";
import { freePort } from "../ports.ts";
import { run } from "../run.ts";

const ROOT = join(import.meta.dir, "..", "..");

/** A stream that keeps what was written, and a clock the test moves. */
function fake(isTTY: boolean) {
  const out: string[] = [];
  let ms = 0;
  return {
    stream: { isTTY, write: (text: string) => out.push(text) },
    now: () => ms,
    advance(seconds: number) {
      ms += seconds * 1000;
    },
    text: () => out.join(""),
    out,
  };
}

test("[bench] durations and progress lines read as phase, count, share, rate and time left", () => {
  expect(duration(7.43)).toBe("7.4s");
  expect(duration(0)).toBe("0.0s");
  expect(duration(75)).toBe("1m15s");
  expect(duration(3 * 3600 + 120)).toBe("3h02m");
  expect(describeState("replaying", { done: 50, total: 200, elapsedMs: 10_000, extra: "0 errors" })).toBe(
    "replaying 50/200 25% 5/s 30s left 0 errors",
  );
  expect(describeState("follows", { elapsedMs: 12_000 })).toBe("follows 12s");
  expect(describeState("rows", { done: 300, elapsedMs: 3000 })).toBe("rows 300 100/s");
});

test("[bench] on a terminal the progress is one line redrawn in place, ended by a summary line", () => {
  const f = fake(true);
  const p = createProgress({ name: "simulate", stream: f.stream, now: f.now, ticker: false });
  p.phase("replaying", 100);
  f.advance(10);
  p.update(50, "2 errors");
  expect(f.out.at(-1)).toBe("\r\x1b[Ksimulate: replaying 50/100 50% 5/s 10s left 2 errors");
  p.update(51); // within 100 ms of the last redraw: not drawn
  expect(f.out.at(-1)).toContain("50/100");
  p.note("a finding");
  expect(f.out.slice(-3)).toEqual(["\r\x1b[K", "a finding\n", "\r\x1b[Ksimulate: replaying 51/100 51% 5/s 9.6s left"]);
  f.advance(10);
  p.update(100, "2 errors");
  p.end();
  expect(f.out.at(-1)).toBe("simulate: replaying done 100/100 in 20s (2 errors)\n");
});

test("[bench] off a terminal the progress is plain lines: one per phase, and at most one every 10 s", () => {
  const f = fake(false);
  const p = createProgress({ name: "seed", stream: f.stream, now: f.now });
  p.phase("[1/2] users", 1000);
  for (let i = 1; i <= 9; i++) {
    f.advance(1);
    p.update(i * 100);
  }
  expect(f.out).toEqual(["seed: [1/2] users (1000)…\n"]);
  f.advance(1);
  p.update(1000);
  expect(f.out.at(-1)).toBe("seed: [1/2] users 1000/1000 100% 100/s\n");
  f.advance(1);
  p.phase("[2/2] indexes");
  f.advance(4);
  p.fail();
  expect(f.out.slice(-3)).toEqual([
    "seed: [1/2] users done 1000/1000 in 11s\n",
    "seed: [2/2] indexes…\n",
    "seed: [2/2] indexes failed in 4.0s\n",
  ]);
  expect(f.text()).not.toContain("\r");
  expect(f.text()).not.toContain("\x1b");
});

test("[bench] quiet progress (--json) writes nothing", () => {
  const f = fake(true);
  const p = createProgress({ name: "bench", stream: f.stream, now: f.now, quiet: true });
  p.phase("x", 10);
  p.update(5);
  p.note("finding");
  p.end();
  expect(f.out).toEqual([]);
});

// Nothing listens at the port: every action fails fast, which is enough to watch the progress.
const DEAD = `http://127.0.0.1:${freePort()}`;
const simulate = ["bench/simulate.ts", "--base", DEAD, "--limit", "40", "--timeout", "100"];

test("[bench] npm run simulate reports its progress on stderr and only the summary on stdout", async () => {
  const plain = await run([process.execPath, ...simulate], { cwd: ROOT });
  expect(plain.code).toBe(1);
  expect(plain.stderr).toContain("simulate: replaying (40)…\n");
  expect(plain.stderr).toMatch(/simulate: replaying done 40\/40 in [\d.]+s \(40 errors\)\n/);
  expect(plain.stdout).toStartWith("replayed 40 actions");
  expect(plain.stdout).not.toContain("simulate:");

  const json = await run([process.execPath, ...simulate, "--json"], { cwd: ROOT });
  expect(json.stderr).toBe("");
  expect(JSON.parse(json.stdout).actions).toBe(40);
}, 30_000);

test("[bench] npm run simulate on a terminal redraws one progress line", async () => {
  // script(1) gives the command a pseudo-terminal; what it printed comes back on stdout.
  const command = [process.execPath, ...simulate].map((a) => `'${a}'`).join(" ");
  const tty = await run(["script", "-qec", command, "/dev/null"], { cwd: ROOT });
  expect(tty.stdout).toContain("\r\x1b[Ksimulate: replaying");
  expect(tty.stdout).toMatch(/simulate: replaying done 40\/40 in [\d.]+s \(40 errors\)/);
}, 30_000);
