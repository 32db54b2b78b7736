// `npm run bench`: drives the program over loopback and sets each figure beside its same-run ceiling.
//
// The phases, in order (each row of the table names its ceiling):
//   1. GET /public and GET /USERNAME signed out, nothing written meanwhile, against the same bytes served bare;
//   2. GET / signed in, against its SQL, still nothing written;
//   3. the first two pages while the scenario's writes run at a steady pace, against their SQL driven by pgbench meanwhile;
//   4. (with --growth-database) the growth check;
//   5. the scenario replayed against the API, against pgbench's single-row insert; resident memory after it;
//   6. the same replay on the embedded database (no DATABASE_URL, a new DATA_DIR); resident memory after it.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { bareElysia, bareServing, sqlCeilings } from "./ceilings.ts";
import { positiveInteger, runCommand } from "./command.ts";
import { type Result, wrk } from "./load.ts";
import { createProgress, duration, type Progress } from "./progress.ts";
import { type BenchReport, type Row, render, writeDocs } from "./report.ts";
import {
  observe,
  residentMb,
  type SeedInfo,
  type Server,
  SIM_PASSWORD,
  samples,
  seedInfo,
  signIn,
  startServer,
  warmUpApi,
} from "./server.ts";
import { DEFAULT_SCENARIO, parseScenario, simulate } from "./simulate.ts";
import { startPacedWrites } from "./writes.ts";

/** Alternating runs per size in the growth check; the median p50 of each side counts. */
const GROWTH_ROUNDS = 3;
const WARM_UP_SECONDS = 3;

/** Issue 14's targets. Every target also asks for zero errors. */
const TARGETS = {
  signedOut: { share: 0.25, p99: 10 },
  whileWriting: { share: 1, p99: 25 },
  home: { share: 0.5, p99: 50 },
  replayPostgres: { share: 0.4 },
  replayEmbedded: { max: 150 },
  memoryPostgresMb: 150,
  memoryEmbeddedMb: 300,
};

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
  /** Per-request timeout of the replays and the paced writes in ms: 300, as the course's simulator, unless given. */
  replayTimeout?: number;
  /** Actions per second of the scenario's writes beside the second phase's reads (default 100). */
  writeRate?: number;
  /** DATABASE_POOL of the server under test (its default when undefined). */
  pool?: number;
  log?: (line: string) => void;
  /** Where the phases show (default: stderr, see progress.ts). */
  progress?: Progress;
}

type Page = "public" | "user" | "home";

/** wrk on the three pages; `suffix` goes after each row's name. */
export function readWorkloads(
  server: Server,
  info: SeedInfo,
  cookies: string[],
  c: number,
  seconds: number,
  suffix = "",
): Record<Page, () => Promise<Result>> {
  const s = samples(info);
  return {
    public: () => wrk({ name: `GET /public${suffix}`, url: server.web, connections: c, seconds, path: '"/public"' }),
    user: () =>
      wrk({
        name: `GET /USERNAME${suffix}`,
        url: server.web,
        connections: c,
        seconds,
        path: `"/user" .. (1 + k * ${s.users.stride})`,
        choices: s.users.count,
      }),
    home: () =>
      wrk({
        name: `GET / signed in${suffix}`,
        url: server.web,
        connections: c,
        seconds,
        path: '"/"',
        choices: cookies.length,
        cookies,
      }),
  };
}

/**
 * Each profile wrk draws from (`samples(info).users`) asked for twice, `c` at a time, the second round
 * after the first: the program keeps a page from its second request on (docs/performance.md, section
 * 11), and profiles drawn at random take many more requests than that before each has been asked twice.
 */
export async function askTwice(web: string, info: SeedInfo, c: number): Promise<void> {
  const { count, stride } = samples(info).users;
  for (let round = 0; round < 2; round++) {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const path = `/user${1 + next++ * stride}`;
        const response = await fetch(web + path);
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
      }
    };
    await Promise.all(Array.from({ length: c }, worker));
  }
}

/** The load averages over 1, 5 and 15 minutes. */
function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
}

function machine(): string {
  const cpu = cpus();
  const gb = (totalmem() / 2 ** 30).toFixed(1);
  return `${cpu.length} cores (${cpu[0]?.model.trim() ?? "unknown CPU"}), ${gb} GB memory, load average ${load()} at start`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

export async function bench(options: BenchOptions, command = "npm run bench"): Promise<BenchReport> {
  const progress = options.progress ?? createProgress({ name: "bench" });
  const log = options.log ?? ((line: string) => progress.note(line));
  const steps = 9 + (options.growthDatabases?.length ?? 0);
  let step = 0;
  const phase = (what: string, total?: number) => progress.phase(`[${++step}/${steps}] ${what}`, total);
  const c = options.connections;
  const seconds = options.seconds;
  const timeoutMs = options.replayTimeout ?? 300;
  const writeRate = options.writeRate ?? 100;
  const scenario = parseScenario(readFileSync(options.scenario ?? DEFAULT_SCENARIO, "utf8"));
  const replayed = scenario.slice(0, options.replayActions);
  const { info, sizes } = await seedInfo(options.database);
  const rows: Row[] = [];
  const memory: BenchReport["memory"] = [];
  const growth: BenchReport["growth"] = [];
  const date = new Date().toISOString();
  const description = machine();
  log(`machine: ${description}`);
  log(`sizes: ${sizes.users} users, ${sizes.follows} follows, ${sizes.messages} messages`);

  /** A measured run on the server: its row, with the server's CPU per request; the peak memory kept. */
  let readPeakMb = 0;
  /** The 1-minute load average after each measured page and replay: the bench's own load and any other. */
  const loads: number[] = [];
  async function measure(server: Server, run: () => Promise<Result>, row: Omit<Row, "result" | "connections">) {
    const { value: result, mb, cpuMs } = await observe(server.pid, run);
    readPeakMb = Math.max(readPeakMb, mb);
    const cpuUs = (cpuMs * 1000) / result.requests;
    rows.push({ result, connections: c, ...row, cpuUs });
    loads.push(loadavg()[0] as number);
    const ratio = row.ceiling
      ? `, ${((result.rate / row.ceiling.rate) * 100).toFixed(0)} % of ${row.ceiling.name}`
      : "";
    log(
      `${result.name}: ${result.rate.toFixed(0)}/s, p99 ${result.p99.toFixed(1)} ms, ${result.errors} errors${ratio}, ` +
        `${mb.toFixed(0)} MB, ${cpuUs.toFixed(0)} µs CPU per request; load average ${load()}`,
    );
  }

  /** The scenario replayed against the server's API at `c` clients (after a warm-up), as a row; memory after it. */
  async function replay(server: Server, name: string, row: Omit<Row, "result" | "connections">, limitMb: number) {
    await warmUpApi(server.api, `bench warm-up ${name}`);
    const { value: summary, cpuMs } = await observe(server.pid, () =>
      simulate({
        bases: [server.api],
        actions: replayed,
        concurrency: c,
        password: SIM_PASSWORD,
        timeoutMs,
        onProgress: (done, errors) => progress.update(done, `${errors} errors`),
      }),
    );
    const result: Result = {
      name: `scenario replay (API), ${name}`,
      requests: summary.actions,
      seconds: summary.seconds,
      rate: summary.actions / summary.seconds,
      p50: summary.latency.p50,
      p99: summary.latency.p99,
      max: summary.latency.max,
      errors: summary.errors,
    };
    rows.push({ result, connections: c, ...row, cpuUs: (cpuMs * 1000) / summary.actions });
    loads.push(loadavg()[0] as number);
    const mb = residentMb(server.pid);
    memory.push({ name: `${name} (the server process)`, mb, limit: limitMb });
    log(
      `${result.name}: ${result.rate.toFixed(0)}/s, p50 ${result.p50} ms, p99 ${result.p99} ms, max ${result.max} ms, ` +
        `${summary.errors} errors ${JSON.stringify(summary.errorsByKind)}; ${mb.toFixed(0)} MB resident after it; ` +
        `load average ${load()}`,
    );
  }

  phase("starting the server on PostgreSQL");
  const server = await startServer({ url: options.database }, options);
  try {
    log(`server answered its first page ${server.startMs.toFixed(0)} ms after start`);
    const cookies = await signIn(server.web, info, samples(info).home);
    const warmUp = Math.min(seconds, WARM_UP_SECONDS);
    const warmUps = readWorkloads(server, info, cookies, c, warmUp);

    // 1. Signed out, nothing written meanwhile: the ceiling is a bare server answering the same bytes.
    const reads = readWorkloads(server, info, cookies, c, seconds);
    for (const page of ["public", "user"] as const) {
      phase(`${page} timeline signed out: warm-up, bare ceiling, load (about ${duration(warmUp + 2 * seconds)})`);
      // The row is about pages that did not change: each sampled profile asked for twice first (a page is
      // kept from its second request on), then the timed warm-up for the JIT.
      if (page === "user") await askTwice(server.web, info, c);
      await warmUps[page]().catch(() => undefined); // caches and the JIT
      const ceiling = await bareServing(page, {
        web: server.web,
        info,
        port: options.port + 3,
        connections: c,
        seconds,
      });
      await measure(server, reads[page], { ceiling, target: TARGETS.signedOut });
    }

    // 2. The signed-in home timeline of heavy followers, against its SQL, before anything is written: the
    // write phases leave thousands of fresh messages by authors the sample does not follow at the front
    // of every home window (docs/performance.md, section 1, measured them apart).
    const sql = sqlCeilings(options.database, info, c, seconds);
    phase(`home timeline signed in: SQL ceiling, warm-up, load (about ${duration(2 * seconds + warmUp)})`);
    const homeCeiling = await sql.home();
    await warmUps.home().catch(() => undefined);
    await measure(server, reads.home, { ceiling: homeCeiling, target: TARGETS.home });

    // 3. The same pages while the scenario writes at a steady pace, and their SQL measured meanwhile.
    const writing = `, writes at ${writeRate}/s`;
    const readsWriting = readWorkloads(server, info, cookies, c, seconds, writing);
    const sqlWriting = sqlCeilings(options.database, info, c, seconds, writing);
    await warmUpApi(server.api, "bench warm-up paced");
    for (const page of ["public", "user"] as const) {
      phase(`${page} timeline with ${writeRate} writes/s: SQL ceiling, load (about ${duration(2 * seconds)})`);
      const writes = startPacedWrites({
        api: server.api,
        password: SIM_PASSWORD,
        actions: scenario,
        rate: writeRate,
        timeoutMs,
        name: `scenario writes at ${writeRate}/s, beside GET ${page === "public" ? "/public" : "/USERNAME"}`,
        prefix: `paced ${page} ${Date.now().toString(36)}-`,
      });
      const ceiling = await sqlWriting[page]();
      await measure(server, readsWriting[page], { ceiling, target: TARGETS.whileWriting });
      const writer = await writes.stop();
      rows.push({ result: writer, connections: 32 });
      log(
        `${writer.name}: ${writer.rate.toFixed(0)}/s, ${writer.errors} errors ${JSON.stringify(writer.errorsByKind)}`,
      );
    }

    // 4. Growth: the same reads on smaller databases, alternating with this one.
    for (const growthDatabase of options.growthDatabases ?? []) {
      phase(
        `growth: the same reads on a smaller database (about ${duration(3 * (1 + 2 * GROWTH_ROUNDS) * options.growthSeconds)})`,
      );
      growth.push(await growthCheck(server, info, cookies, growthDatabase, options, log));
    }

    // 5. The scenario against the API on PostgreSQL; its ceiling is pgbench's single-row insert.
    phase(`bare Elysia and insert ceilings (about ${duration(3 * seconds)})`);
    const { keepAlive, close } = await bareElysia(options.port + 3, c, seconds);
    const insert = await sql.insert();
    rows.push(
      { result: keepAlive, connections: c },
      { result: close, connections: c },
      { result: insert, connections: c },
    );
    log(
      `bare: ${keepAlive.rate.toFixed(0)}/s, with close ${close.rate.toFixed(0)}/s; insert ${insert.rate.toFixed(0)}/s`,
    );
    phase("scenario replay, PostgreSQL", replayed.length);
    await replay(server, "PostgreSQL", { ceiling: insert, target: TARGETS.replayPostgres }, TARGETS.memoryPostgresMb);
  } catch (error) {
    progress.fail();
    throw error;
  } finally {
    await server.stop();
  }

  // 6. The same replay on the embedded database, started as `npm start` without DATABASE_URL.
  phase("scenario replay, embedded database on a new DATA_DIR", replayed.length);
  const dataDir = mkdtempSync(join(tmpdir(), "minitwit-bench-embedded-"));
  let embeddedStartMs = Number.NaN;
  try {
    const embedded = await startServer({ dataDir }, { port: options.port });
    embeddedStartMs = embedded.startMs;
    try {
      await replay(embedded, "embedded", { target: TARGETS.replayEmbedded }, TARGETS.memoryEmbeddedMb);
    } finally {
      await embedded.stop();
    }
    progress.end();
  } catch (error) {
    progress.fail();
    throw error;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  await seedInfo(options.database); // removes the rows inserted by this run
  return {
    machine: `${description}, ${load()} at the end`,
    sizes,
    rows,
    memory,
    readPeakMb,
    loads,
    startMs: server.startMs,
    embeddedStartMs,
    growthRounds: GROWTH_ROUNDS,
    growth,
    command,
    date,
  };
}

/** Each page's p50 on a smaller twin and on the main database, alternating short runs. */
async function growthCheck(
  server: Server,
  info: SeedInfo,
  cookies: string[],
  growthDatabase: string,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<BenchReport["growth"][number]> {
  const c = options.connections;
  const small = await seedInfo(growthDatabase);
  const timelines: BenchReport["growth"][number]["timelines"] = [];
  const other = await startServer({ url: growthDatabase }, { ...options, port: options.port + 4 });
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
  return { sizes: small.sizes, timelines };
}

const USAGE = `usage: npm run bench -- [--database URL] [--growth-database URL]... [options]
  --database URL          seeded PostgreSQL database to measure (default DATABASE_URL)
  --growth-database URL   a smaller twin for the growth check, repeatable
  --seconds N             seconds per read workload and per ceiling (default 20)
  --growth-seconds N      seconds per workload of the growth check (default 4)
  --connections N         concurrent connections and replay clients (default 32)
  --port N                first of seven consecutive loopback ports (default 6501)
  --pool N                DATABASE_POOL of the server under test (default: the program's)
  --scenario FILE         simulator scenario to replay (default the course's)
  --replay-actions N      replay only the first N actions (on both databases)
  --replay-timeout MS     per-request timeout of the replays and paced writes (default 300)
  --write-rate N          scenario actions per second beside the second phase's reads (default 100)
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
      "write-rate": { type: "string" },
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
      writeRate: positiveInteger(values["write-rate"], "write-rate"),
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
