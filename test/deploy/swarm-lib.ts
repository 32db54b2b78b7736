// Test support shared by the swarm deployment tests (swarm.e2e.ts, one node; multinode.e2e.ts, three):
// waiting for a condition, prefixed copies of the course's scenario, and summaries of replays.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Action, DEFAULT_SCENARIO, type Summary } from "../../bench/simulate.ts";
import type { EndState } from "../api/program.ts";
import { run } from "../run.ts";

/** Polls `probe` every `everyMs` until it returns a value; throws after `seconds` with the last error. */
export async function until<T>(
  what: string,
  seconds: number,
  probe: () => Promise<T | undefined>,
  everyMs = 1000,
): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await Bun.sleep(everyMs);
  }
  throw new Error(`${what}: not within ${seconds} s${last ? ` (${(last as Error).message})` : ""}`);
}

/**
 * The root namespace's Docker engine: the one that answers, or a `dockerd` started now (its log in
 * `work`). Returns the process it started, for `stopEngine`; nothing when one was already running.
 *
 * Started without the userland proxy (`--userland-proxy=false`): the tests' clients run on the Docker
 * host itself and reach the published ports at 127.0.0.1, which Docker otherwise serves by copying every
 * connection through a `docker-proxy` process (half a core at the replay's rate, beside the stack on two
 * cores). Without it the kernel forwards them (NAT), as it does for clients from other hosts in production.
 */
export async function startEngine(work: string): Promise<Bun.Subprocess | undefined> {
  const answers = async () => ((await run(["docker", "info"])).code === 0 ? true : undefined);
  if (await answers()) {
    console.error(
      "[deploy] using the Docker engine that was already running: unless it was started with " +
        "--userland-proxy=false, the test's loopback traffic goes through docker-proxy (slower than without)",
    );
    return undefined;
  }
  // dockerd logs on stderr.
  const log = Bun.file(join(work, "dockerd.log"));
  const dockerd = Bun.spawn(["dockerd", "--userland-proxy=false"], { stdout: "ignore", stderr: log });
  await until("dockerd answering", 60, answers);
  return dockerd;
}

/** Stops the engine `startEngine` started, if it did. */
export async function stopEngine(dockerd: Bun.Subprocess | undefined): Promise<void> {
  if (!dockerd) return;
  dockerd.kill("SIGTERM");
  await dockerd.exited;
}

/** The test's measured figures on stderr, under `[label] measured:`. */
export function printFigures(label: string, figures: Record<string, string>): void {
  console.error(`\n[${label}] measured:`);
  for (const [what, value] of Object.entries(figures)) console.error(`  ${what}: ${value}`);
}

/**
 * The scenario with every user name prefixed, written into `dir`, so a further replay starts from users
 * that do not exist yet.
 */
export function prefixedScenario(dir: string, prefix: string): string {
  const lines = readFileSync(DEFAULT_SCENARIO, "utf8").split("\n");
  const out = lines.map((line) => {
    const f = line.split("\t");
    if (f.length < 5) return line;
    f[4] = `${prefix}${f[4]}`;
    if (f[3] === "follow" || f[3] === "unfollow") f[5] = `${prefix}${f[5]}`;
    return f.join("\t");
  });
  const file = join(dir, `scenario-${prefix.trim()}.csv`);
  writeFileSync(file, out.join("\n"));
  return file;
}

/** The rounds of a replay that ran while something else happened, and their errors added up. */
export interface Replayed {
  rounds: Summary[];
  errors: number;
  errorsByKind: Record<string, number>;
  actions: number;
}

export function replayed(rounds: Summary[]): Replayed {
  const errorsByKind: Record<string, number> = {};
  for (const round of rounds) {
    for (const [kind, count] of Object.entries(round.errorsByKind))
      errorsByKind[kind] = (errorsByKind[kind] ?? 0) + count;
  }
  return {
    rounds,
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    errorsByKind,
    actions: rounds.reduce((sum, r) => sum + r.actions, 0),
  };
}

export function describeReplay(r: Replayed): string {
  return r.rounds
    .map(
      (s, i) =>
        `round ${i}: ${s.actions} actions in ${s.seconds} s (${s.actionsPerSecond}/s, ${s.concurrency} clients), ` +
        `p50 ${s.latency.p50} p99 ${s.latency.p99} max ${s.latency.max} ms, errors ${s.errors} ${JSON.stringify(s.errorsByKind)}`,
    )
    .join("\n");
}

/**
 * The kinds of error in a replay other than the simulator's 0.3 s timeout. A tweet or follow by a user
 * whose registration timed out answers 404: a consequence of a timeout, not a failure of its own.
 */
export function otherThanTimeouts(r: Replayed): [string, number][] {
  const registerTimeouts = r.errorsByKind["register: timeout"] ?? 0;
  return Object.entries(r.errorsByKind).filter(
    ([kind]) => !kind.endsWith(": timeout") && !(registerTimeouts > 0 && kind.endsWith(": status 404")),
  );
}

/** A `--record` file of `npm run simulate`: each action's outcome (the status, or the error) by scenario id. */
export function readRecord(file: string): Map<number, string> {
  const outcomes = new Map<number, string>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const [, id, outcome] = line.split("\t");
    if (id !== undefined && outcome !== undefined) outcomes.set(Number(id), outcome);
  }
  return outcomes;
}

/** Whether an action was answered as done: 204, or 400 for a registration whose name is already taken. */
export function answered(action: Action, outcome: string | undefined): boolean {
  return outcome === "204" || (action.command === "register" && outcome === "400");
}

/**
 * The writes answered as done that the end state does not hold, when some actions failed (a timed-out
 * write may or may not have happened): each registered user is there, each user has at least the tweets
 * answered and at most all their tweets, and each pair of users is followed or not as the last action
 * on it that was answered said, unless a later action on it failed.
 */
export function lostWrites(actions: Action[], outcomes: Map<number, string>, observed: EndState): string[] {
  const lost: string[] = [];
  const tweets = new Map<string, { answered: number; all: number }>();
  const lastOnPair = new Map<string, { action: Action; done: boolean }>();
  for (const action of actions) {
    const done = answered(action, outcomes.get(action.id));
    const { command, user, other } = action;
    if (command === "register" && done && !observed.messages.has(user)) lost.push(`user ${user}`);
    if (command === "tweet") {
      const count = tweets.get(user) ?? { answered: 0, all: 0 };
      count.all++;
      if (done) count.answered++;
      tweets.set(user, count);
    }
    if (command === "follow" || command === "unfollow") lastOnPair.set(`${user} → ${other}`, { action, done });
  }
  for (const [user, { answered: least, all }] of tweets) {
    const count = observed.messages.get(user) ?? 0;
    if (count < least || count > all) lost.push(`${user}: ${count} messages, answered ${least} of ${all}`);
  }
  for (const [pair, { action, done }] of lastOnPair) {
    if (!done) continue;
    const follows = observed.follows.get(action.user)?.has(action.other as string) ?? false;
    if (follows !== (action.command === "follow")) lost.push(`${action.command} ${pair}`);
  }
  return lost;
}
