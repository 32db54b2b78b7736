// `npm run bench`: drives the program over loopback and sets each figure beside its same-run ceiling.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { PAGE_SIZE } from "../src/data/messages.ts";
import { openDb } from "../src/db.ts";
import { migrate } from "../src/migrate.ts";
import { queries } from "../src/sql.ts";
import { positiveInteger, runCommand } from "./command.ts";
import { pgbench, pgbenchStatement, type Result, wrk } from "./load.ts";
import { createProgress, duration, type Progress } from "./progress.ts";
import { DEFAULT_SCENARIO, parseScenario, simulate } from "./simulate.ts";

const ROOT = join(import.meta.dir, "..");
/** Alternating runs per size in the growth check; the median p50 of each side counts. */
const GROWTH_ROUNDS = 3;
const WARM_UP_SECONDS = 3;
const SECRET_KEY = "benchmark secret key";
const SIM_PASSWORD = "benchmark simulator password";

export interface BenchOptions {
  database: string;
  /** Databases seeded like the main one but smaller (100,000 messages): the growth check, one by one. */
  growthDatabases?: string[];
  seconds: number;
  growthSeconds: number;
  connections: number;
  /** First of seven ports: web, API, metrics, bare server, and the growth check's web, API, metrics. */
  port: number;
  /** The simulator scenario to replay (the course's by default), and how many of its actions. */
  scenario?: string;
  replayActions?: number;
  /** Per-request timeout of the replay in ms: 300, as the course's simulator, unless given. */
  replayTimeout?: number;
  /** DATABASE_POOL of the server under test (its default when undefined). */
  pool?: number;
  log?: (line: string) => void;
  /** Where the phases show (default: stderr, see progress.ts). */
  progress?: Progress;
}

export interface Row {
  result: Result;
  connections: number;
  ceiling?: Result;
  /** Minimum share of the ceiling, and maximum p99 and max in ms. */
  target?: { share: number; p99?: number; max?: number };
  /** CPU time of the server process per request, µs (robust to other load on the machine). */
  cpuUs?: number;
}

type Sizes = { users: number; follows: number; messages: number; flagged: number };

export interface BenchReport {
  machine: string;
  sizes: Sizes;

  rows: Row[];
  /** Largest resident set of the server process under the read load, MB. */
  rssMb: number;
  /** From spawning the server to its first answered page, ms. */
  startMs: number;
  /** Per growth database: its sizes, and p50 per timeline at its size and at the main one's. */
  growth: { sizes: Sizes; timelines: { name: string; small: number; large: number }[] }[];
  command: string;
  date: string;
}

interface SeedInfo {
  first_user: number;
  users: number;
  heavy: number;
  max_user_id: number;
  max_message_id: number;
  password: string;
}

export async function seedInfo(url: string) {
  // Migrated first: the server's start is measured on a migrated database.
  const db = await openDb({ url, pool: 1, statementTimeout: 0 });
  await migrate(db).finally(() => db.close());
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [info] = await sql<SeedInfo[]>`SELECT * FROM bench_seed`.catch(() => []);
    if (!info) throw new Error(`${url} was not seeded: run npm run seed first`);
    // Leftovers of an earlier run (replayed users, inserted messages) go, so that runs compare.
    const gone = await sql`DELETE FROM messages WHERE id > ${info.max_message_id}`;
    const left = await sql`DELETE FROM users WHERE id > ${info.max_user_id}`;
    if (gone.count + left.count > 0) await sql`VACUUM (ANALYZE) messages`;
    const [sizes] = await sql<{ users: number; follows: number; messages: number; flagged: number }[]>`
      SELECT (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM follows) AS follows,
             (SELECT count(*)::int FROM messages) AS messages,
             (SELECT count(*)::int FROM messages WHERE flagged) AS flagged`;
    return { info, sizes: sizes as NonNullable<typeof sizes> };
  } finally {
    await sql.end();
  }
}

/** The same users in the HTTP and the SQL runs: user i = 1 + k * stride, k random below `count`. */
export function samples(info: SeedInfo) {
  const users = Math.min(info.users, 5000);
  const signedIn = Math.min(info.heavy, 100);
  return {
    users: { count: users, stride: Math.floor(info.users / users) },
    // The users with the most follows are the first `heavy` ones (see seed.ts).
    home: { count: signedIn, stride: Math.floor(info.heavy / signedIn) },
  };
}

interface Server {
  pid: number;
  startMs: number;
  web: string;
  api: string;
  stop(): Promise<void>;
}

export async function startServer(url: string, options: BenchOptions): Promise<Server> {
  const errors = join(tmpdir(), `minitwit-bench-server-${options.port}.log`);
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    NODE_ENV: "production",
    ROLE: "all",
    HOST: "127.0.0.1",
    PORT: String(options.port),
    API_PORT: String(options.port + 1),
    METRICS_PORT: String(options.port + 2),
    DATABASE_URL: url,
    SECRET_KEY,
    SIM_PASSWORD,
  };
  if (options.pool !== undefined) env.DATABASE_POOL = String(options.pool);
  const web = `http://127.0.0.1:${options.port}`;
  const started = performance.now();
  const proc = Bun.spawn([process.execPath, "src/main.ts"], {
    cwd: ROOT,
    env,
    stdout: "ignore",
    stderr: Bun.file(errors),
  });
  let startMs = Number.NaN;
  for (let i = 0; i < 1000 && proc.exitCode === null; i++) {
    const ok = await fetch(`${web}/public`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) {
      startMs = performance.now() - started;
      break;
    }
    await Bun.sleep(5);
  }
  if (Number.isNaN(startMs)) {
    proc.kill();
    throw new Error(`the server did not start: ${existsSync(errors) ? readFileSync(errors, "utf8") : ""}`);
  }
  return {
    pid: proc.pid,
    startMs,
    web,
    api: `http://127.0.0.1:${options.port + 1}`,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

/** Signs the sampled heavy followers in; their session cookies, checked on the home page. */
export async function signIn(
  web: string,
  info: SeedInfo,
  sample: { count: number; stride: number },
): Promise<string[]> {
  const cookies: string[] = [];
  for (let k = 0; k < sample.count; k++) {
    const username = `user${1 + k * sample.stride}`;
    const login = await fetch(`${web}/login`, {
      method: "POST",
      redirect: "manual",
      body: new URLSearchParams({ username, password: info.password }),
    });
    const cookie = login.headers.get("set-cookie")?.split(";")[0];
    if (login.status !== 303 || !cookie) throw new Error(`${username} could not sign in (${login.status})`);
    const home = await fetch(`${web}/`, { headers: { cookie }, redirect: "manual" });
    if (home.status !== 200 || !(await home.text()).includes("My Timeline")) {
      throw new Error(`${username}'s home timeline answered ${home.status}`);
    }
    // The cookie without the "You were logged in" flash, as a browser holds it from then on.
    cookies.push(home.headers.get("set-cookie")?.split(";")[0] ?? cookie);
  }
  return cookies;
}

function cpuTicks(pid: number): number {
  // utime and stime, fields 14 and 15 of /proc/PID/stat (after the command name in parentheses).
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return Number(fields[11]) + Number(fields[12]);
}

/** While `run` runs: the process's largest VmRSS (MB) and the CPU time it used (ms). */
async function observe<T>(pid: number, run: () => Promise<T>): Promise<{ value: T; mb: number; cpuMs: number }> {
  let peak = 0;
  const sample = () => {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    peak = Math.max(peak, kb / 1024);
  };
  sample();
  const ticks = cpuTicks(pid);
  const timer = setInterval(sample, 200);
  try {
    const value = await run();
    sample();
    // Clock ticks are 10 ms on Linux (USER_HZ = 100).
    return { value, mb: peak, cpuMs: (cpuTicks(pid) - ticks) * 10 };
  } finally {
    clearInterval(timer);
  }
}

export function readWorkloads(server: Server, info: SeedInfo, cookies: string[], c: number, seconds: number) {
  const s = samples(info);
  return {
    public: () => wrk({ name: "GET /public", url: server.web, connections: c, seconds, path: '"/public"' }),
    user: () =>
      wrk({
        name: "GET /USERNAME",
        url: server.web,
        connections: c,
        seconds,
        path: `"/user" .. (1 + k * ${s.users.stride})`,
        choices: s.users.count,
      }),
    home: () =>
      wrk({
        name: "GET / signed in",
        url: server.web,
        connections: c,
        seconds,
        path: '"/"',
        choices: cookies.length,
        cookies,
      }),
  };
}

function sqlCeilings(url: string, info: SeedInfo, c: number, seconds: number) {
  const s = samples(info);
  const limit = `\\set lim ${PAGE_SIZE + 1}\n`;
  const run = (name: string, script: string) => pgbench({ name, url, clients: c, seconds, script });
  return {
    public: () =>
      run("pgbench: messages/public_timeline", limit + pgbenchStatement(queries["messages/public_timeline"], [":lim"])),
    user: () =>
      run(
        "pgbench: users/by_name + messages/user_timeline",
        `${limit}\\set k random(0, ${s.users.count - 1})\n\\set i 1 + :k * ${s.users.stride}\n` +
          `\\set uid :i + ${info.first_user - 1}\n` +
          pgbenchStatement(queries["users/by_name"], ["'user' || :i"]) +
          pgbenchStatement(queries["messages/user_timeline"], [":lim", ":uid"]),
      ),
    home: () =>
      run(
        "pgbench: messages/home_timeline",
        `${limit}\\set k random(0, ${s.home.count - 1})\n\\set uid ${info.first_user} + :k * ${s.home.stride}\n` +
          pgbenchStatement(queries["messages/home_timeline"], [":lim", ":uid"]),
      ),
    insert: () =>
      run(
        "pgbench: messages/insert (single row)",
        `\\set aid random(${info.first_user}, ${info.first_user + info.users - 1})\n` +
          pgbenchStatement(queries["messages/insert"], [":aid", ":aid"]),
      ),
  };
}

async function bare(port: number, c: number, seconds: number): Promise<{ keepAlive: Result; close: Result }> {
  const proc = Bun.spawn([process.execPath, join(ROOT, "bench", "bare.ts"), String(port)], { stdout: "ignore" });
  try {
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 400; i++) {
      if (
        await fetch(url).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      await Bun.sleep(5);
    }
    const keepAlive = await wrk({ name: "bare Elysia, keep-alive", url, connections: c, seconds, path: '"/"' });
    const close = await wrk({
      name: "bare Elysia, Connection: close",
      url,
      connections: c,
      seconds,
      path: '"/"',
      headers: { Connection: "close" },
    });
    return { keepAlive, close };
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
  }
}

function machine(): string {
  const cpu = cpus();
  const gb = (totalmem() / 2 ** 30).toFixed(1);
  return `${cpu.length} cores (${cpu[0]?.model.trim() ?? "unknown CPU"}), ${gb} GB memory, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")} at start`;
}

export async function bench(options: BenchOptions, command = "npm run bench"): Promise<BenchReport> {
  const progress = options.progress ?? createProgress({ name: "bench" });
  const log = options.log ?? ((line: string) => progress.note(line));
  const steps = 6 + (options.growthDatabases?.length ?? 0);
  let step = 0;
  const phase = (what: string, total?: number) => progress.phase(`[${++step}/${steps}] ${what}`, total);
  const c = options.connections;
  const { info, sizes } = await seedInfo(options.database);
  const rows: Row[] = [];
  const date = new Date().toISOString();
  const description = machine();
  log(`machine: ${description}`);
  log(`sizes: ${sizes.users} users, ${sizes.follows} follows, ${sizes.messages} messages`);

  phase("starting the server");
  const server = await startServer(options.database, options);
  let rssMb = 0;
  const growth: BenchReport["growth"] = [];
  try {
    log(`server answered its first page ${server.startMs.toFixed(0)} ms after start`);
    const cookies = await signIn(server.web, info, samples(info).home);
    const reads = readWorkloads(server, info, cookies, c, options.seconds);
    const warmUp = Math.min(options.seconds, WARM_UP_SECONDS);
    const warmUps = readWorkloads(server, info, cookies, c, warmUp);
    const ceilings = sqlCeilings(options.database, info, c, options.seconds);
    for (const [key, target] of [
      ["public", { share: 0.5, p99: 25 }],
      ["user", { share: 0.5, p99: 25 }],
      ["home", { share: 0.5, p99: 50 }],
    ] as const) {
      phase(`${key} timeline: SQL ceiling, warm-up, load (about ${duration(2 * options.seconds + warmUp)})`);
      const ceiling = await ceilings[key]();
      log(`${ceiling.name}: ${ceiling.rate.toFixed(0)}/s`);
      await warmUps[key]().catch(() => undefined); // caches and the JIT
      const { value: result, mb, cpuMs } = await observe(server.pid, reads[key]);
      rssMb = Math.max(rssMb, mb);
      const cpuUs = (cpuMs * 1000) / result.requests;
      log(
        `${result.name}: ${result.rate.toFixed(0)}/s, p99 ${result.p99.toFixed(1)} ms, ${mb.toFixed(0)} MB, ${cpuUs.toFixed(0)} µs CPU per request`,
      );
      rows.push({ result, connections: c, ceiling, target, cpuUs });
    }

    for (const growthDatabase of options.growthDatabases ?? []) {
      phase(
        `growth: the same reads on a smaller database (about ${duration(3 * (1 + 2 * GROWTH_ROUNDS) * options.growthSeconds)})`,
      );
      const small = await seedInfo(growthDatabase);
      const timelines: BenchReport["growth"][number]["timelines"] = [];
      growth.push({ sizes: small.sizes, timelines });
      const other = await startServer(growthDatabase, { ...options, port: options.port + 4 });
      try {
        const otherCookies = await signIn(other.web, small.info, samples(small.info).home);
        const runs = {
          large: readWorkloads(server, info, cookies, c, options.growthSeconds),
          small: readWorkloads(other, small.info, otherCookies, c, options.growthSeconds),
        };
        // Alternating short runs on both sizes, so that the other load on the machine weighs on both alike.
        for (const key of ["public", "user", "home"] as const) {
          await runs.small[key]().catch(() => undefined);
          const p50 = { large: [] as number[], small: [] as number[] };
          let name = "";
          for (let round = 0; round < GROWTH_ROUNDS; round++) {
            for (const size of ["large", "small"] as const) {
              const result = await runs[size][key]();
              name = result.name;
              p50[size].push(result.p50);
            }
          }
          timelines.push({ name, small: median(p50.small), large: median(p50.large) });
          log(`growth ${name}: p50 ${median(p50.small).toFixed(2)} ms and ${median(p50.large).toFixed(2)} ms`);
        }
      } finally {
        await other.stop();
      }
    }

    phase(`bare Elysia and insert ceilings (about ${duration(3 * options.seconds)})`);
    const { keepAlive, close } = await bare(options.port + 3, c, options.seconds);
    rows.push({ result: keepAlive, connections: c }, { result: close, connections: c });
    const insert = await ceilings.insert();
    rows.push({ result: insert, connections: c });
    log(
      `bare: ${keepAlive.rate.toFixed(0)}/s, with close ${close.rate.toFixed(0)}/s; insert ${insert.rate.toFixed(0)}/s`,
    );

    // The scenario replay against the API: its ceiling is the lower of a bare connection per request
    // (as the simulator connects) and a single-row insert; no answer may take over 0.3 s.
    const actions = parseScenario(readFileSync(options.scenario ?? DEFAULT_SCENARIO, "utf8")).slice(
      0,
      options.replayActions,
    );
    phase("scenario replay", actions.length);
    const { value: summary, cpuMs } = await observe(server.pid, () =>
      simulate({
        bases: [server.api],
        actions,
        concurrency: c,
        username: "simulator",
        password: SIM_PASSWORD,
        timeoutMs: options.replayTimeout ?? 300,
        onProgress: (done, errors) => progress.update(done, `${errors} errors`),
      }),
    );
    const replay: Result = {
      name: "scenario replay (API)",
      requests: summary.actions,
      seconds: summary.seconds,
      rate: summary.actions / summary.seconds,
      p50: summary.latency.p50,
      p99: summary.latency.p99,
      max: summary.latency.max,
      errors: summary.errors,
    };
    const ceiling = close.rate <= insert.rate ? close : insert;
    rows.push({
      result: replay,
      connections: c,
      ceiling,
      target: { share: 0.4, p99: 300, max: 300 },
      cpuUs: (cpuMs * 1000) / summary.actions,
    });
    log(
      `${replay.name}: ${replay.rate.toFixed(0)}/s, ${summary.errors} errors ${JSON.stringify(summary.errorsByKind)}`,
    );
    progress.end();
  } catch (error) {
    progress.fail();
    throw error;
  } finally {
    await server.stop();
  }
  await seedInfo(options.database); // removes the rows inserted by this run
  return { machine: description, sizes, rows, rssMb, startMs: server.startMs, growth, command, date };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : "–");
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "–");
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "–");

/** The report as Markdown: the table, then the machine, sizes, memory, start and growth. */
export function render(report: BenchReport): string {
  const lines = [
    "| workload | conc. | req/s | p50 ms | p99 ms | max ms | errors | ceiling | ratio | target | met | server CPU µs/req |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | --- | ---: |",
  ];
  for (const { result: r, connections, ceiling, target, cpuUs } of report.rows) {
    const ratio = ceiling ? r.rate / ceiling.rate : Number.NaN;
    const met = target
      ? r.errors === 0 &&
        ratio >= target.share &&
        (target.p99 === undefined || r.p99 <= target.p99) &&
        (target.max === undefined || r.max <= target.max)
      : undefined;
    lines.push(
      `| ${r.name} | ${connections} | ${f0(r.rate)} | ${f2(r.p50)} | ${f2(r.p99)} | ${f1(r.max)} | ${r.errors} | ` +
        `${ceiling ? `${ceiling.name}: ${f0(ceiling.rate)}/s, p50 ${f2(ceiling.p50)} ms` : ""} | ` +
        `${ceiling ? `${f0(ratio * 100)} %` : ""} | ` +
        `${target ? `≥ ${target.share * 100} %${target.max ? `, max ≤ ${target.max} ms` : target.p99 ? `, p99 ≤ ${target.p99} ms` : ""}` : ""} | ` +
        `${met === undefined ? "" : met ? "yes" : "**no**"} | ${cpuUs === undefined ? "" : f0(cpuUs)} |`,
    );
  }
  const s = report.sizes;
  lines.push(
    "",
    `- Machine: ${report.machine}; server, PostgreSQL and load generators share it.`,
    `- Sizes: ${s.users} users, ${s.follows} follows, ${s.messages} messages (${s.flagged} flagged).`,
    `- Memory: the server process peaked at ${f0(report.rssMb)} MB resident under the read load (target ≤ 150 MB): ${
      report.rssMb <= 150 ? "met" : "**missed**"
    }.`,
    `- Start: first page served ${f0(report.startMs)} ms after the process started, migrated PostgreSQL (target ≤ 1000 ms): ${
      report.startMs <= 1000 ? "met" : "**missed**"
    }.`,
  );
  for (const g of report.growth) {
    const same =
      g.sizes.users === s.users ? "same users and follows" : `${g.sizes.users} users, ${g.sizes.follows} follows`;
    lines.push(
      "",
      `Growth: median p50 of ${GROWTH_ROUNDS} alternating runs at ${g.sizes.messages} messages (${same}) and at ${s.messages}, same load:`,
      "",
      "| timeline | p50 ms, small | p50 ms, large | ratio | target ≤ 1.5 |",
      "| --- | ---: | ---: | ---: | --- |",
      ...g.timelines.map(
        (t) =>
          `| ${t.name} | ${f2(t.small)} | ${f2(t.large)} | ${f2(t.large / t.small)} | ${t.large / t.small <= 1.5 ? "met" : "**missed**"} |`,
      ),
    );
  }
  lines.push("", `Command: \`${report.command}\`, ${report.date}.`);
  return lines.join("\n");
}

const START = "<!-- bench:start -->";
const END = "<!-- bench:end -->";

/** Puts the report between the markers of docs/performance.md, keeping the prose around it. */
export function writeDocs(markdown: string, path = join(ROOT, "docs", "performance.md")): void {
  const block = `${START}\n${markdown}\n${END}`;
  const old = existsSync(path) ? readFileSync(path, "utf8") : `# Performance\n\n${START}\n${END}\n`;
  const from = old.indexOf(START);
  const to = old.indexOf(END);
  const text = from >= 0 && to > from ? old.slice(0, from) + block + old.slice(to + END.length) : `${old}\n${block}\n`;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

const USAGE = `usage: npm run bench -- [--database URL] [--growth-database URL]... [options]
  --database URL          seeded PostgreSQL database to measure (default DATABASE_URL)
  --growth-database URL   a smaller twin for the growth check, repeatable
  --seconds N             seconds per read workload (default 20)
  --growth-seconds N      seconds per workload of the growth check (default 4)
  --connections N         concurrent connections (default 32)
  --port N                first of seven consecutive loopback ports (default 6501)
  --pool N                DATABASE_POOL of the server under test (default: the program's)
  --scenario FILE         simulator scenario to replay (default the course's)
  --replay-actions N      replay only the first N actions
  --replay-timeout MS     per-request timeout of the replay (default 300)
  --write                 put the table into docs/performance.md
  --quiet                 only the table on stdout: no progress or findings on stderr
Progress goes to stderr: one line redrawn on a terminal, a line per phase otherwise.`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      database: { type: "string" },
      "growth-database": { type: "string", multiple: true },
      seconds: { type: "string", default: "20" },
      "growth-seconds": { type: "string", default: "4" },
      connections: { type: "string", default: "32" },
      port: { type: "string", default: "6501" },
      pool: { type: "string" },
      scenario: { type: "string" },
      "replay-actions": { type: "string" },
      "replay-timeout": { type: "string" },
      write: { type: "boolean", default: false },
      quiet: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const database = values.database ?? process.env.DATABASE_URL;
  if (!database) throw new Error("no database: give --database URL or set DATABASE_URL");
  const report = await bench(
    {
      database,
      growthDatabases: values["growth-database"],
      seconds: positiveInteger(values.seconds, "seconds") as number,
      growthSeconds: positiveInteger(values["growth-seconds"], "growth-seconds") as number,
      connections: positiveInteger(values.connections, "connections") as number,
      port: positiveInteger(values.port, "port") as number,
      pool: positiveInteger(values.pool, "pool"),
      scenario: values.scenario,
      replayActions: positiveInteger(values["replay-actions"], "replay-actions"),
      replayTimeout: positiveInteger(values["replay-timeout"], "replay-timeout"),
      progress: createProgress({ name: "bench", quiet: values.quiet }),
    },
    // Without passwords that a URL may hold.
    `npm run bench -- ${argv.join(" ")}`.replace(/\/\/([^:/@\s]+):[^@\s]*@/g, "//$1@").trim(),
  );
  const markdown = render(report);
  console.log(markdown);
  if (values.write) writeDocs(markdown);
  return 0;
}

if (import.meta.main) await runCommand(main, USAGE);
