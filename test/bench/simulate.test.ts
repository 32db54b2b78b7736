import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Action, DEFAULT_SCENARIO, formatSummary, parseScenario, simulate } from "../../bench/simulate.ts";
import { startApp, type TestApp } from "../helpers.ts";
import { freePort } from "../ports.ts";
import { run } from "../run.ts";

setDefaultTimeout(60_000);

let app: TestApp;
let dir: string;
beforeAll(async () => {
  app = await startApp();
  dir = mkdtempSync(join(tmpdir(), "minitwit-simulate-"));
});
afterAll(async () => {
  await app.stop();
  rmSync(dir, { recursive: true, force: true });
});

const AUTH = { Authorization: `Basic ${btoa("simulator:super_safe!")}` };

function line(...fields: (string | number)[]): string {
  return fields.join("\t");
}

describe("[bench] the scenario file", () => {
  test("[bench] the default scenario is the repository's own copy and parses to its 25,922 actions", () => {
    expect(DEFAULT_SCENARIO).toBe(join(import.meta.dir, "..", "..", "bench", "minitwit_scenario.csv"));
    expect(existsSync(DEFAULT_SCENARIO)).toBe(true);
    const actions = parseScenario(readFileSync(DEFAULT_SCENARIO, "utf8"));
    expect(actions).toHaveLength(25_922);
    expect(actions[0]).toEqual({
      id: 0,
      command: "register",
      user: "Roger Histand",
      email: "Roger+Histand@hotmail.com",
      pwd: expect.any(String),
    });
    const counts: Record<string, number> = {};
    for (const a of actions) counts[a.command] = (counts[a.command] ?? 0) + 1;
    expect(counts).toEqual({ register: 200, tweet: 11_306, follow: 9_751, unfollow: 4_665 });
  });

  test("[bench] lines keep quotes, tabs split fields, the password is the last field, CRLF is tolerated", () => {
    const text = [
      line(0, 0, 0, "register", "A B", "a@b", 'p"w'),
      line(1, 5, 1, "tweet", "A B", 'say "hi", it\'s <b>'),
      line(2, 5, 2, "follow", "A B", "C"),
      `${line(3, 5, 3, "unfollow", "A B", "C")}\r`,
      "",
    ].join("\n");
    expect(parseScenario(text)).toEqual([
      { id: 0, command: "register", user: "A B", email: "a@b", pwd: 'p"w' },
      { id: 1, command: "tweet", user: "A B", content: 'say "hi", it\'s <b>' },
      { id: 2, command: "follow", user: "A B", other: "C" },
      { id: 3, command: "unfollow", user: "A B", other: "C" },
    ]);
    expect(() => parseScenario(line(0, 0, 0, "dance", "A"))).toThrow(/unknown command "dance"/);
  });
});

describe("[bench] the replayer's pace", () => {
  test("[bench] with a rate, action i starts no earlier than i / rate s, and shouldStop ends a paced replay", async () => {
    const arrivals: number[] = [];
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () => {
        arrivals.push(performance.now());
        return new Response(null, { status: 204 });
      },
    });
    try {
      const actions: Action[] = Array.from({ length: 20 }, (_, i) => ({
        id: i,
        command: "tweet",
        user: `pace ${i % 4}`,
        content: "x",
      }));
      const started = performance.now();
      const paced = await simulate({ bases: [`http://127.0.0.1:${server.port}`], actions, concurrency: 8, rate: 50 });
      expect(paced.errors).toBe(0);
      expect(arrivals).toHaveLength(20);
      // 50 per second: one every 20 ms; timers may fire a little late, never early.
      arrivals.forEach((at, i) => {
        expect(at - started).toBeGreaterThanOrEqual(i * 20 - 1);
      });
      expect(paced.seconds).toBeGreaterThanOrEqual(0.38);

      arrivals.length = 0;
      const until = performance.now() + 200;
      const stopped = await simulate({
        bases: [`http://127.0.0.1:${server.port}`],
        actions: [...actions, ...actions, ...actions],
        concurrency: 8,
        rate: 50,
        shouldStop: () => performance.now() >= until,
      });
      // About 10 in 200 ms, and none of the 60 waits forever for one that was not taken.
      expect(stopped.actions).toBeGreaterThanOrEqual(8);
      expect(stopped.actions).toBeLessThanOrEqual(13);
      expect(arrivals).toHaveLength(stopped.actions);
    } finally {
      server.stop(true);
    }
  });
});

describe("[bench] the replayer against the real API", () => {
  test("[bench] each user's actions stay in order and follows wait for both registrations", async () => {
    const actions: Action[] = [];
    let id = 100;
    for (let u = 0; u < 12; u++) {
      actions.push({ id: id++, command: "register", user: `sim ${u}`, email: `s${u}@x.org`, pwd: "p" });
      if (u > 0) actions.push({ id: id++, command: "follow", user: `sim ${u}`, other: `sim ${u - 1}` });
      for (let m = 0; m < 5; m++) actions.push({ id: id++, command: "tweet", user: `sim ${u}`, content: `${u}-${m}` });
      if (u > 1) actions.push({ id: id++, command: "unfollow", user: `sim ${u}`, other: `sim ${u - 1}` });
    }
    const summary = await simulate({ bases: [app.api], actions, concurrency: 8, timeoutMs: 5000 });
    expect(summary.errors).toBe(0);
    expect(summary.actions).toBe(actions.length);
    expect(summary.latency.p50).toBeGreaterThan(0);
    expect(summary.latency.max).toBeGreaterThanOrEqual(summary.latency.p99);
    for (let u = 0; u < 12; u++) {
      const reply = await fetch(`${app.api}/msgs/${encodeURIComponent(`sim ${u}`)}`, { headers: AUTH });
      expect(reply.status).toBe(200);
      const contents = ((await reply.json()) as { content: string }[]).map((m) => m.content);
      expect(contents).toEqual([4, 3, 2, 1, 0].map((m) => `${u}-${m}`));
      const follows = await fetch(`${app.api}/fllws/${encodeURIComponent(`sim ${u}`)}`, { headers: AUTH });
      expect(await follows.json()).toEqual({ follows: u === 1 ? ["sim 0"] : [] });
    }
  });

  test("[bench] errors are counted by kind: unexpected status, timeout, refused connection", async () => {
    const slow = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: async () => {
        await Bun.sleep(400);
        return new Response(null, { status: 204 });
      },
    });
    const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
    const refusedBase = `http://127.0.0.1:${closed.port}`;
    closed.stop(true);
    try {
      const tweet: Action[] = [{ id: 1, command: "tweet", user: "nobody at all", content: "x" }];
      const wrong = await simulate({
        bases: [app.api],
        actions: tweet,
        concurrency: 1,
        password: "wrong",
        timeoutMs: 5000,
      });
      expect(wrong.errorsByKind).toEqual({ "tweet: status 403": 1 });
      expect(wrong.samples[0]?.detail).toContain("not authorized");
      const missing = await simulate({ bases: [app.api], actions: tweet, concurrency: 1, timeoutMs: 5000 });
      expect(missing.errorsByKind).toEqual({ "tweet: status 404": 1 });
      const timeout = await simulate({ bases: [`http://127.0.0.1:${slow.port}`], actions: tweet, concurrency: 1 });
      expect(timeout.errorsByKind).toEqual({ "tweet: timeout": 1 });
      const refused = await simulate({ bases: [refusedBase], actions: tweet, concurrency: 1 });
      expect(refused.errors).toBe(1);
      expect(Object.keys(refused.errorsByKind)[0]).toMatch(/^tweet: /);
      expect(formatSummary(refused)).toContain("errors: 1");
    } finally {
      slow.stop(true);
    }
  });

  test("[bench] a registration answered 400 (name taken) is not an error, as in the course's simulator", async () => {
    const twice: Action[] = [
      { id: 1, command: "register", user: "twice", email: "t@x.org", pwd: "p" },
      { id: 2, command: "register", user: "twice", email: "t@x.org", pwd: "p" },
    ];
    const summary = await simulate({ bases: [app.api], actions: twice, concurrency: 2, timeoutMs: 5000 });
    expect(summary.errors).toBe(0);
  });

  test("[bench] npm run simulate prints a JSON summary with --json and exits 0 without errors, 1 with", async () => {
    const scenario = join(dir, "small.csv");
    writeFileSync(
      scenario,
      `${[
        line(0, 0, 0, "register", "cli one", "c1@x.org", "p"),
        line(1, 0, 0, "register", "cli two", "c2@x.org", "p"),
        line(2, 0, 0, "tweet", "cli one", "hello"),
        line(3, 0, 0, "follow", "cli two", "cli one"),
      ].join("\n")}\n`,
    );
    // Asynchronously: the API under test listens in this very process.
    function replay(base: string) {
      return run(
        [
          "npm",
          "run",
          "--silent",
          "simulate",
          "--",
          "--base",
          base,
          "--scenario",
          scenario,
          "--concurrency",
          "2",
          "--timeout",
          "5000",
          "--json",
        ],
        { cwd: join(import.meta.dir, "..", "..") },
      );
    }
    const ok = await replay(app.api);
    const summary = JSON.parse(ok.stdout);
    expect(summary.errorsByKind).toEqual({});
    expect(ok.code).toBe(0);
    expect(summary).toMatchObject({ actions: 4, errors: 0, concurrency: 2, servers: 1 });
    expect(Object.keys(summary.latency).sort()).toEqual(["max", "p50", "p90", "p99"]);
    expect(summary.actionsPerSecond).toBeGreaterThan(0);
    const failing = await replay(`${app.api}/nowhere`);
    expect(failing.code).toBe(1);
    expect(JSON.parse(failing.stdout).errorsByKind).toEqual({
      "register: status 404": 2,
      "tweet: status 404": 1,
      "follow: status 404": 1,
    });
  });

  test("[bench] --record FILE writes each action's time, scenario id and status answered or kind of error", async () => {
    const scenario = join(dir, "record.csv");
    writeFileSync(
      scenario,
      `${[line(7, 0, 0, "register", "rec one", "r1@x.org", "p"), line(8, 0, 0, "tweet", "rec one", "hi")].join("\n")}\n`,
    );
    const record = join(dir, "record.tsv");
    const started = Date.now();
    const args = ["--scenario", scenario, "--concurrency", "1", "--timeout", "5000", "--record", record, "--json"];
    const answered = await run(["npm", "run", "--silent", "simulate", "--", "--base", app.api, ...args], {
      cwd: join(import.meta.dir, "..", ".."),
    });
    expect(answered.code).toBe(0);
    const rows = readFileSync(record, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => l.split("\t"));
    expect(rows.map(([, id, outcome]) => [id, outcome])).toEqual([
      ["7", "204"],
      ["8", "204"],
    ]);
    for (const [at] of rows) expect(Number(at)).toBeGreaterThanOrEqual(started);
    // A port nobody listens on: the kind of error instead of a status.
    const closed = `http://127.0.0.1:${freePort()}`;
    const refused = await run(["npm", "run", "--silent", "simulate", "--", "--base", closed, ...args], {
      cwd: join(import.meta.dir, "..", ".."),
    });
    expect(refused.code).toBe(1);
    expect(
      readFileSync(record, "utf8")
        .trimEnd()
        .split("\n")
        .map((l) => l.split("\t")[2]),
    ).toEqual(["connection refused", "connection refused"]);
  });
});
