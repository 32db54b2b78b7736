// Load generators of the benchmark: wrk (HTTP, Lua for random paths and cookies) and pgbench (SQL ceilings).
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Result {
  name: string;
  requests: number;
  seconds: number;
  /** Requests (or transactions) per second. */
  rate: number;
  /** Latencies in milliseconds. */
  p50: number;
  p99: number;
  max: number;
  errors: number;
}

const work = mkdtempSync(join(tmpdir(), "minitwit-bench-"));
let files = 0;

function scratch(name: string, text: string): string {
  const path = join(work, `${files++}-${name}`);
  writeFileSync(path, text);
  return path;
}

export interface WrkOptions {
  name: string;
  url: string;
  connections: number;
  seconds: number;
  /** Lua expression of the request path; `k` is a random integer from 0 to `choices - 1`. */
  path?: string;
  choices?: number;
  /** Instead of `path` and `choices`: one of these paths at random. */
  paths?: string[];
  /** Cookie header per choice `k` (index k + 1 in Lua), when signed in. */
  cookies?: string[];
  /** Every answer must have this status to count as a success. */
  status?: number;
  headers?: Record<string, string>;
}

/** Runs wrk with one thread (it needs a fraction of a core at these rates) and a Lua script. */
export async function wrk(options: WrkOptions): Promise<Result> {
  const list = (strings: string[] | undefined) =>
    strings ? `{${strings.map((c) => JSON.stringify(c)).join(",")}}` : "nil";
  const choices = options.paths?.length ?? options.choices ?? 1;
  const path = options.paths ? "paths[k + 1]" : options.path;
  if (!path) throw new Error("wrk: no path");
  const script = `
local choices, cookies, expected = ${choices}, ${list(options.cookies)}, ${options.status ?? 200}
local paths = ${list(options.paths)}
bad = 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) math.randomseed(os.time() + math.floor(os.clock() * 1e6)) end
function request()
  local k = math.random(0, choices - 1)
  local path = ${path}
  if cookies then return wrk.format("GET", path, { Cookie = cookies[k + 1] }) end
  return wrk.format("GET", path)
end
function response(status, headers, body)
  if status ~= expected then bad = bad + 1 end
end
function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  local e = summary.errors
  io.write(string.format('BENCH {"requests":%d,"us":%d,"p50":%d,"p99":%d,"max":%d,"read":%d,"other":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.read, e.connect + e.write + e.timeout + b))
end
`;
  const args = ["wrk", "-t1", `-c${options.connections}`, `-d${options.seconds}s`, "--timeout", "5s"];
  for (const [k, v] of Object.entries(options.headers ?? {})) args.push("-H", `${k}: ${v}`);
  args.push("-s", scratch("load.lua", script), options.url);
  const proc = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  const line = out.split("\n").find((l) => l.startsWith("BENCH "));
  if (code !== 0 || !line) throw new Error(`wrk failed (${code}): ${err}${out}`);
  const r = JSON.parse(line.slice(6)) as {
    requests: number;
    us: number;
    p50: number;
    p99: number;
    max: number;
    read: number;
    other: number;
  };
  // With Connection: close, wrk counts the server's closing of each answered connection as a read error.
  const close = Object.entries(options.headers ?? {}).some(([k, v]) => /^connection$/i.test(k) && /close/i.test(v));
  const errors = r.other + (close ? Math.max(0, r.read - r.requests) : r.read);
  const seconds = r.us / 1e6;
  return {
    name: options.name,
    requests: r.requests,
    seconds,
    rate: r.requests / seconds,
    p50: r.p50 / 1000,
    p99: r.p99 / 1000,
    max: r.max / 1000,
    errors,
  };
}

export interface PgbenchOptions {
  name: string;
  url: string;
  clients: number;
  seconds: number;
  /** pgbench script: `\set` lines and SQL statements with `:variables`. */
  script: string;
}

/** Runs a pgbench custom script with prepared statements; latencies from its per-transaction log. */
export async function pgbench(options: PgbenchOptions): Promise<Result> {
  const dir = mkdtempSync(join(work, "pgbench-"));
  const args = [
    "pgbench",
    "-n",
    "-M",
    "prepared",
    `-c${options.clients}`,
    "-j1",
    `-T${options.seconds}`,
    "-l",
    `--log-prefix=${join(dir, "tx")}`,
    "-f",
    scratch("script.sql", options.script),
    options.url,
  ];
  const proc = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  const processed = /number of transactions actually processed: (\d+)/.exec(out);
  const failed = /number of failed transactions: (\d+)/.exec(out);
  if (!processed) throw new Error(`pgbench failed (${code}): ${err}${out}`);
  const latencies: number[] = [];
  for (const file of readdirSync(dir)) {
    for (const line of readFileSync(join(dir, file), "utf8").split("\n")) {
      // client transaction latency_us script epoch_s epoch_us
      const f = line.split(" ");
      if (f.length >= 6) latencies.push(Number(f[2]) / 1000);
    }
  }
  const requests = Number(processed[1]);
  return {
    name: options.name,
    requests,
    seconds: options.seconds,
    rate: requests / options.seconds,
    ...percentiles(latencies),
    errors: Number(failed?.[1] ?? 0) + (code === 0 ? 0 : 1) + err.split("\n").filter((l) => /error/i.test(l)).length,
  };
}

export function percentiles(ms: number[]): { p50: number; p99: number; max: number } {
  if (ms.length === 0) return { p50: Number.NaN, p99: Number.NaN, max: Number.NaN };
  const sorted = Float64Array.from(ms).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] as number };
}

/** The pgbench form of one of the program's SQL files: `$n` becomes the n-th given expression. */
export function pgbenchStatement(sql: string, params: string[]): string {
  const body = sql
    .split("\n")
    .filter((l) => !l.trimStart().startsWith("--"))
    .join(" ")
    .replace(/\s+/g, " ")
    .trim();
  return `${body.replace(/\$(\d+)/g, (_, n) => {
    const p = params[Number(n) - 1];
    if (p === undefined) throw new Error(`no value for $${n}`);
    return p;
  })};\n`;
}
