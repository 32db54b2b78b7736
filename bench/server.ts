// The program under test for the benchmark: the seeded database it reads, the server process started on
// PostgreSQL or on the embedded database, signed-in sessions, and what the process uses (memory, CPU).
import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { openDb } from "../src/db.ts";
import { migrate } from "../src/migrate.ts";
import { type Action, simulate } from "./simulate.ts";

const ROOT = join(import.meta.dir, "..");
const SECRET_KEY = "benchmark secret key";
export const SIM_PASSWORD = "benchmark simulator password";
/** How long a server may take to answer its first page (the embedded database runs initdb first). */
const START_TIMEOUT_MS = 120_000;

export type Sizes = { users: number; follows: number; messages: number; flagged: number };

export interface SeedInfo {
  first_user: number;
  users: number;
  heavy: number;
  max_user_id: number;
  max_message_id: number;
  password: string;
}

/** The seed's facts (bench_seed) and the table sizes, after removing what an earlier run inserted. */
export async function seedInfo(url: string): Promise<{ info: SeedInfo; sizes: Sizes }> {
  // Migrated first: the server's start is measured on a migrated database.
  const db = await openDb({ url, pool: 1, statementTimeout: 0 });
  await migrate(db).finally(() => db.close());
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [info] = await sql<SeedInfo[]>`SELECT * FROM bench_seed`.catch(() => []);
    if (!info) throw new Error(`${url} was not seeded: run npm run seed first`);
    // Leftovers of an earlier run (replayed users, inserted messages) go, so that runs compare.
    const gone = await sql`DELETE FROM messages WHERE id > ${info.max_message_id}`;
    // For each user deleted, ON DELETE CASCADE looks for their messages, which no index of every
    // message's author serves (messages_author_idx leaves flagged ones out): a scan of the whole table
    // per user, minutes for a run's few hundred users at course scale. An index for the delete, built in
    // seconds, makes it one look-up each; it is built only when there are users to delete.
    const [extra] = await sql`SELECT EXISTS (SELECT 1 FROM users WHERE id > ${info.max_user_id}) AS any`;
    const left = extra?.any
      ? await sql.begin(async (tx) => {
          await tx`CREATE INDEX bench_cleanup_author_idx ON messages (author_id)`;
          const deleted = await tx`DELETE FROM users WHERE id > ${info.max_user_id}`;
          await tx`DROP INDEX bench_cleanup_author_idx`;
          return deleted.count;
        })
      : 0;
    // Deleted users take their follows with them, and the deleted messages were the newest: left dead,
    // those rows sit at the front of the timelines' index scans in the next runs. INDEX_CLEANUP ON: a
    // vacuum bypasses the indexes when under 2 % of the pages hold dead rows, which leaves every index
    // entry of them (measured: the home timeline at 1,176 req/s, p99 87 ms after a run's clean-up without
    // it, 1,636 and 59 ms once the indexes were cleaned).
    if (left > 0) await sql`VACUUM (ANALYZE, INDEX_CLEANUP ON) messages, follows, users`;
    else if (gone.count > 0) await sql`VACUUM (ANALYZE, INDEX_CLEANUP ON) messages`;
    const [sizes] = await sql<Sizes[]>`
      SELECT (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM follows) AS follows,
             (SELECT count(*)::int FROM messages) AS messages,
             (SELECT count(*)::int FROM messages WHERE flagged) AS flagged`;
    return { info, sizes: sizes as Sizes };
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

export interface Server {
  pid: number;
  /** From spawning the process to its first answered page, ms. */
  startMs: number;
  web: string;
  api: string;
  stop(): Promise<void>;
}

/**
 * `src/main.ts` in production mode on three loopback ports from `port`: on PostgreSQL at `url`, or,
 * without one, on the embedded database in `dataDir`, as `npm start` runs it with no DATABASE_URL.
 */
export async function startServer(
  store: { url: string } | { dataDir: string },
  options: { port: number; pool?: number },
): Promise<Server> {
  const errors = join(tmpdir(), `minitwit-bench-server-${options.port}.log`);
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    NODE_ENV: "production",
    ROLE: "all",
    HOST: "127.0.0.1",
    PORT: String(options.port),
    API_PORT: String(options.port + 1),
    METRICS_PORT: String(options.port + 2),
    SECRET_KEY,
    SIM_PASSWORD,
  };
  if ("url" in store) env.DATABASE_URL = store.url;
  else {
    delete env.DATABASE_URL;
    delete env.DATABASE_URL_FILE;
    env.DATA_DIR = store.dataDir;
  }
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
  while (proc.exitCode === null && performance.now() - started < START_TIMEOUT_MS) {
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
    await proc.exited;
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

/**
 * Traffic before measured writes, as a deployed replica serves before the simulator's peak reaches it
 * (the replay tests do the same): 32 users outside the scenario, named `prefix` and a number, register
 * at once, then each posts and follows another. Every request must succeed.
 */
export async function warmUpApi(api: string, prefix: string): Promise<void> {
  const actions: Action[] = [];
  const name = (i: number) => `${prefix} ${i}`;
  for (let i = 0; i < 32; i++) {
    actions.push({ id: -1, command: "register", user: name(i), email: `warm-up-${i}@example.com`, pwd: "warm-up" });
  }
  for (let i = 0; i < 32; i++) {
    actions.push({ id: -1, command: "tweet", user: name(i), content: "Warming up." });
    actions.push({ id: -1, command: "follow", user: name(i), other: name((i + 1) % 32) });
  }
  const summary = await simulate({ bases: [api], actions, concurrency: 32, password: SIM_PASSWORD, timeoutMs: 10_000 });
  if (summary.errors > 0) throw new Error(`the API's warm-up failed: ${JSON.stringify(summary.samples)}`);
}

/** The process's resident memory now (VmRSS), MB. */
export function residentMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

function cpuTicks(pid: number): number {
  // utime and stime, fields 14 and 15 of /proc/PID/stat (after the command name in parentheses).
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return Number(fields[11]) + Number(fields[12]);
}

/** While `run` runs: the process's largest resident memory (MB) and the CPU time it used (ms). */
export async function observe<T>(pid: number, run: () => Promise<T>): Promise<{ value: T; mb: number; cpuMs: number }> {
  let peak = residentMb(pid);
  const ticks = cpuTicks(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, residentMb(pid));
  }, 200);
  try {
    const value = await run();
    peak = Math.max(peak, residentMb(pid));
    // Clock ticks are 10 ms on Linux (USER_HZ = 100).
    return { value, mb: peak, cpuMs: (cpuTicks(pid) - ticks) * 10 };
  } finally {
    clearInterval(timer);
  }
}
