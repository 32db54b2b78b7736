// The scenario replayer: drives the simulator API the way the course's simulator does (same headers,
// same expected statuses, 0.3 s timeout), many users at once, each user's actions kept in order.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { positiveInteger, runCommand } from "./command.ts";
import { createProgress } from "./progress.ts";

export type Command = "register" | "tweet" | "follow" | "unfollow";

export interface Action {
  /** The scenario's action id, sent as `?latest=`. */
  id: number;
  command: Command;
  user: string;
  email?: string;
  pwd?: string;
  content?: string;
  /** The user to follow or unfollow. */
  other?: string;
}

/** The course's simulator scenario (public course data), kept in the repository beside this file. */
export const DEFAULT_SCENARIO = fileURLToPath(new URL("./minitwit_scenario.csv", import.meta.url));

/** The actions with every user renamed (`prefix` + name), so that a replay can register them anew. */
export function renamed(actions: Action[], prefix: string): Action[] {
  return actions.map((a) => ({ ...a, user: prefix + a.user, other: a.other && prefix + a.other }));
}

/** Tab-separated lines: id, delay, unix ms, command, user, then email and password / text / other user. */
export function parseScenario(text: string): Action[] {
  const actions: Action[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const f = line.replace(/\r$/, "").split("\t");
    const id = Number(f[0]);
    const command = f[3] as Command;
    const user = f[4] ?? "";
    if (command === "register") actions.push({ id, command, user, email: f[5], pwd: f[f.length - 1] });
    else if (command === "tweet") actions.push({ id, command, user, content: f[5] });
    else if (command === "follow" || command === "unfollow") actions.push({ id, command, user, other: f[5] });
    else throw new Error(`unknown command "${command}" in line ${JSON.stringify(line.slice(0, 80))}`);
  }
  return actions;
}

export interface SimulateOptions {
  /** API base URLs; users are spread over them (replicas). */
  bases: string[];
  actions: Action[];
  /** Concurrent clients, each sending one request at a time. */
  concurrency: number;
  /** Per-request timeout in milliseconds (the course's simulator: 300). */
  timeoutMs?: number;
  username?: string;
  password?: string;
  /** Called after each action with the number done so far. */
  onProgress?: (done: number, errors: number) => void;
  /** Called for every action answered or failed, with its time in ms (the soak's per-minute figures). */
  onAnswer?: (ms: number, failed: boolean) => void;
  /** Called after each action with its outcome: the status answered, or the kind of error. */
  onOutcome?: (action: Action, outcome: number | string) => void;
  /** Checked before each action is taken: true stops the replay there (the soak's deadline). */
  shouldStop?: () => boolean;
  /** Actions per second: action i starts no earlier than i / rate seconds after the start (default: at once). */
  rate?: number;
}

export interface Summary {
  actions: number;
  errors: number;
  /** Error counts by kind, e.g. `"tweet: status 500"`, `"follow: timeout"`. */
  errorsByKind: Record<string, number>;
  /** A few failed actions with what came back, for diagnosis. */
  samples: { id: number; command: Command; kind: string; detail: string }[];
  seconds: number;
  actionsPerSecond: number;
  /** Milliseconds, over the answered requests. */
  latency: { p50: number; p90: number; p99: number; max: number };
  concurrency: number;
  servers: number;
}

function expected(command: Command, status: number): boolean {
  // The course's simulator counts a 400 on register (user exists) as no error.
  return command === "register" ? status === 204 || status === 400 : status === 204;
}

function request(action: Action): { path: string; body: string } {
  const user = encodeURIComponent(action.user);
  switch (action.command) {
    case "register":
      return {
        path: "/register",
        body: JSON.stringify({ username: action.user, email: action.email, pwd: action.pwd }),
      };
    case "tweet":
      return { path: `/msgs/${user}`, body: JSON.stringify({ content: action.content }) };
    case "follow":
      return { path: `/fllws/${user}`, body: JSON.stringify({ follow: action.other }) };
    case "unfollow":
      return { path: `/fllws/${user}`, body: JSON.stringify({ unfollow: action.other }) };
  }
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round((sorted[Math.max(0, index)] ?? 0) * 100) / 100;
}

/**
 * Replays the actions with `concurrency` clients taking them in scenario order: an action starts only
 * after its user's previous action was answered and, for a follow or unfollow, after the other user's
 * registration was answered. So each user's actions stay in order, the global order is kept within a
 * window of `concurrency` actions, and registrations are not bunched up at the start. Users are spread
 * over the base URLs by order of first appearance.
 */
export async function simulate(options: SimulateOptions): Promise<Summary> {
  const timeoutMs = options.timeoutMs ?? 300;
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const credential = btoa(`${options.username ?? "simulator"}:${options.password ?? "super_safe!"}`);
  const headers = {
    Connection: "close",
    "Content-Type": "application/json",
    Authorization: `Basic ${credential}`,
  };
  const actions = options.actions;

  const baseOf = new Map<string, string>();
  const registered = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  for (const action of actions) {
    if (!baseOf.has(action.user)) baseOf.set(action.user, options.bases[baseOf.size % options.bases.length] as string);
    if (action.command === "register" && !registered.has(action.user)) {
      registered.set(action.user, Promise.withResolvers<void>());
    }
  }

  const latencies = new Float64Array(actions.length);
  let timed = 0;
  let done = 0;
  let errors = 0;
  const errorsByKind: Record<string, number> = {};
  const samples: Summary["samples"] = [];

  function fail(action: Action, kind: string, detail: string): void {
    errors++;
    const key = `${action.command}: ${kind}`;
    errorsByKind[key] = (errorsByKind[key] ?? 0) + 1;
    if (samples.length < 20)
      samples.push({ id: action.id, command: action.command, kind, detail: detail.slice(0, 200) });
  }

  async function play(action: Action, base: string): Promise<void> {
    const { path, body } = request(action);
    const url = `${base}${path}?latest=${action.id}`;
    const start = performance.now();
    try {
      const response = await fetch(url, {
        method: "POST",
        headers,
        body,
        keepalive: false,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      const ms = performance.now() - start;
      latencies[timed++] = ms;
      const ok = expected(action.command, response.status);
      if (!ok) fail(action, `status ${response.status}`, text);
      options.onAnswer?.(ms, !ok);
      options.onOutcome?.(action, response.status);
    } catch (error) {
      options.onAnswer?.(performance.now() - start, true);
      const name = (error as Error).name;
      let kind = name;
      if (name === "TimeoutError" || name === "AbortError") kind = "timeout";
      else if (["ConnectionRefused", "ECONNREFUSED"].includes((error as { code?: string }).code ?? "")) {
        kind = "connection refused";
      }
      options.onOutcome?.(action, kind);
      fail(action, kind, kind === "timeout" ? `over ${timeoutMs} ms` : kind === name ? (error as Error).message : url);
    }
  }

  const started = performance.now();
  let next = 0;
  const lastOf = new Map<string, Promise<void>>();
  async function client(): Promise<void> {
    while (next < actions.length && !options.shouldStop?.()) {
      const index = next++;
      const action = actions[index] as Action;
      const previous = lastOf.get(action.user);
      const answered = Promise.withResolvers<void>();
      lastOf.set(action.user, answered.promise);
      if (options.rate) {
        await Bun.sleep(Math.max(0, started + (index * 1000) / options.rate - performance.now()));
        if (options.shouldStop?.()) {
          // Not taken: whoever waits for this action or this registration goes on (and stops too).
          answered.resolve();
          if (action.command === "register") registered.get(action.user)?.resolve();
          break;
        }
      }
      await previous;
      if ((action.command === "follow" || action.command === "unfollow") && action.other) {
        await registered.get(action.other)?.promise;
      }
      await play(action, baseOf.get(action.user) as string);
      answered.resolve();
      if (action.command === "register") registered.get(action.user)?.resolve();
      done++;
      options.onProgress?.(done, errors);
    }
  }

  await Promise.all(Array.from({ length: concurrency }, client));
  const seconds = (performance.now() - started) / 1000;
  const sorted = latencies.slice(0, timed).sort();
  return {
    actions: done,
    errors,
    errorsByKind,
    samples,
    seconds: Math.round(seconds * 100) / 100,
    actionsPerSecond: Math.round(done / seconds),
    latency: {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: percentile(sorted, 100),
    },
    concurrency,
    servers: options.bases.length,
  };
}

export function formatSummary(s: Summary): string {
  const lines = [
    `replayed ${s.actions} actions in ${s.seconds} s: ${s.actionsPerSecond} actions/s, ` +
      `${s.concurrency} clients, ${s.servers} server${s.servers === 1 ? "" : "s"}`,
    `latency ms: p50 ${s.latency.p50}  p90 ${s.latency.p90}  p99 ${s.latency.p99}  max ${s.latency.max}`,
    `errors: ${s.errors}`,
  ];
  for (const [kind, count] of Object.entries(s.errorsByKind).sort((a, b) => b[1] - a[1])) {
    lines.push(`  ${count}  ${kind}`);
  }
  for (const sample of s.samples.slice(0, 5)) {
    lines.push(`  e.g. action ${sample.id} (${sample.command}): ${sample.kind}: ${sample.detail}`);
  }
  return lines.join("\n");
}

const USAGE = `usage: npm run simulate -- [--base URL]... [--scenario FILE] [--concurrency N] [--json]
  --base URL         API base URL, repeatable or comma-separated to spread users over replicas
                     (default http://localhost:5001)
  --scenario FILE    tab-separated scenario (default ${DEFAULT_SCENARIO})
  --concurrency N    concurrent clients (default 32)
  --timeout MS       per-request timeout (default 300, as the course's simulator)
  --limit N          replay only the first N actions
  --rate N           actions per second, evenly paced (default: each as soon as a client is free)
  --username NAME    simulator credential (default simulator)
  --password PWD     (default super_safe!)
  --record FILE      write every action's outcome there, one line each: unix ms, scenario id, status
                     answered or kind of error (tab-separated); for checks of what was acknowledged
  --json             print the summary as JSON on stdout, and no progress on stderr
Progress goes to stderr: one line redrawn on a terminal, a line every 10 s otherwise.`;

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      base: { type: "string", multiple: true },
      scenario: { type: "string" },
      concurrency: { type: "string" },
      timeout: { type: "string" },
      limit: { type: "string" },
      rate: { type: "string" },
      username: { type: "string" },
      password: { type: "string" },
      record: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const bases = (values.base ?? ["http://localhost:5001"])
    .flatMap((b) => b.split(","))
    .map((b) => b.trim().replace(/\/+$/, ""))
    .filter(Boolean);
  const scenario = values.scenario ?? DEFAULT_SCENARIO;
  let actions = parseScenario(readFileSync(scenario, "utf8"));
  if (values.limit) actions = actions.slice(0, positiveInteger(values.limit, "limit") ?? actions.length);
  const progress = createProgress({ name: "simulate", quiet: values.json });
  progress.phase("replaying", actions.length);
  const record: string[] = [];
  const summary = await simulate({
    bases,
    actions,
    concurrency: positiveInteger(values.concurrency, "concurrency") ?? 32,
    timeoutMs: positiveInteger(values.timeout, "timeout") ?? 300,
    rate: positiveInteger(values.rate, "rate"),
    username: values.username,
    password: values.password,
    onProgress: (done, errors) => progress.update(done, `${errors} errors`),
    onOutcome: values.record
      ? (action, outcome) => record.push(`${Date.now()}\t${action.id}\t${outcome}\n`)
      : undefined,
  });
  progress.end();
  if (values.record) writeFileSync(values.record, record.join(""));
  console.log(values.json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
  return summary.errors === 0 ? 0 : 1;
}

if (import.meta.main) await runCommand(main, USAGE);
