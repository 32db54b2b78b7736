// Test support for the replay tests: the real program as a child process, and the scenario's end
// state computed from the scenario and read back through the API.
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Action, type Summary, simulate } from "../../bench/simulate.ts";
import { freePort } from "../ports.ts";
import { run } from "../run.ts";

const REPO = join(import.meta.dir, "..", "..");
const AUTH = `Basic ${btoa("simulator:super_safe!")}`;

export interface Program {
  web: string;
  api: string;
  /** The program's /metrics (its own loopback port). */
  metrics: string;
  /** Whether the process has ended. */
  exited(): boolean;
  /** What the program wrote on stderr, for failure messages. */
  log(): Promise<string>;
  stop(): Promise<void>;
}

/** `bun src/main.ts` on loopback ports of its own, started and not waited for. */
export function spawnProgram(env: Record<string, string>): Program {
  const [port, apiPort, metricsPort] = [freePort(), freePort(), freePort()];
  const logFile = join(tmpdir(), `minitwit-program-${process.pid}-${apiPort}.log`);
  const child = Bun.spawn([process.execPath, "src/main.ts"], {
    cwd: REPO,
    env: {
      PATH: process.env.PATH ?? "",
      HOST: "127.0.0.1",
      PORT: String(port),
      API_PORT: String(apiPort),
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: "warn",
      ...env,
    },
    stdout: "ignore",
    stderr: Bun.file(logFile),
  });
  return {
    web: `http://127.0.0.1:${port}`,
    api: `http://127.0.0.1:${apiPort}`,
    metrics: `http://127.0.0.1:${metricsPort}/metrics`,
    exited: () => child.exitCode !== null,
    log: () => Bun.file(logFile).text(),
    async stop() {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await child.exited;
      clearTimeout(timer);
    },
  };
}

/** spawnProgram, resolved once its API answers /health with 200. */
export async function startProgram(env: Record<string, string>): Promise<Program> {
  const program = spawnProgram(env);
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (program.exited()) throw new Error(`the program exited: ${await program.log()}`);
    try {
      if ((await fetch(`${program.api}/health`)).status === 200) return program;
    } catch {
      // not listening yet
    }
    await Bun.sleep(100);
  }
  await program.stop();
  throw new Error(`the program did not answer /health within 90 s: ${await program.log()}`);
}

/**
 * Traffic before the measured replay, as a deployed replica serves before the simulator's peak reaches
 * it: 32 users outside the scenario register at once on every server, then each posts and follows
 * another. A process that has just started compiles its code paths, and each new database connection
 * loads its catalog caches and plans its statements, on its first requests; measured cold, 32
 * registrations at once took up to 0.35 s here. The scenario's own users are untouched, so the
 * end-state checks still see exactly the scenario's state. Every warm-up request must succeed.
 */
export async function warmUp(bases: string[]): Promise<void> {
  const actions: Action[] = [];
  const name = (i: number) => `warm-up ${i}`;
  for (let i = 0; i < 32 * bases.length; i++) {
    actions.push({ id: -1, command: "register", user: name(i), email: `warm-up-${i}@example.com`, pwd: "warm-up" });
  }
  for (let i = 0; i < 32 * bases.length; i++) {
    actions.push({ id: -1, command: "tweet", user: name(i), content: "Warming up." });
    actions.push({ id: -1, command: "follow", user: name(i), other: name((i + 1) % (32 * bases.length)) });
  }
  const summary = await simulate({ bases, actions, concurrency: 32 * bases.length, timeoutMs: 10_000 });
  if (summary.errors > 0) throw new Error(`warm-up failed: ${JSON.stringify(summary.samples)}`);
}

/**
 * Writes every dirty page of the machine to disk (`sync`) before a measured replay. What earlier steps
 * wrote (an `npm ci`, a clone, a removed folder: hundreds of MB) otherwise reaches the disk about 30 s
 * later, in the kernel's own time: PostgreSQL's commits wait behind that flush, and a replay that meets
 * it has a burst of writes over the 0.3 s timeout (reproduced: 1.5 GB written 15 s before the test,
 * 27 follow/tweet/unfollow timeouts in the one second the kernel wrote 1.8 GB).
 */
export function settleDisk(): void {
  const { exitCode } = Bun.spawnSync(["sync"]);
  if (exitCode !== 0) throw new Error(`sync exited ${exitCode}`);
}

/**
 * The whole scenario replayed by `npm run simulate` in a process of its own, as the course's simulator
 * is: the client's timing is not disturbed by this test process's heap (the files before it leave
 * databases and servers behind for the garbage collector).
 */
export async function replay(bases: string[], concurrency: number): Promise<Summary> {
  settleDisk();
  const { code, stdout, stderr } = await run(
    [
      process.execPath,
      "bench/simulate.ts",
      ...bases.flatMap((base) => ["--base", base]),
      "--concurrency",
      String(concurrency),
      "--json",
    ],
    { cwd: REPO, env: { PATH: process.env.PATH ?? "" } },
  );
  // Exit code 1 means the replay counted errors, which the summary lists; anything else is a failure.
  if (code !== 0 && code !== 1) throw new Error(`npm run simulate exited ${code}: ${stderr}`);
  return JSON.parse(stdout) as Summary;
}

export interface EndState {
  /** Messages per user and whom each user follows, by username. */
  messages: Map<string, number>;
  follows: Map<string, Set<string>>;
}

/** The state the scenario leaves when replayed in order: follow adds a pair, unfollow removes it. */
export function expectedState(actions: Action[]): EndState {
  const messages = new Map<string, number>();
  const follows = new Map<string, Set<string>>();
  for (const action of actions) {
    if (action.command === "register") {
      messages.set(action.user, 0);
      follows.set(action.user, new Set());
    } else if (action.command === "tweet") {
      messages.set(action.user, (messages.get(action.user) ?? 0) + 1);
    } else if (action.command === "follow") {
      follows.get(action.user)?.add(action.other as string);
    } else {
      follows.get(action.user)?.delete(action.other as string);
    }
  }
  return { messages, follows };
}

/**
 * The same, read through the API for the given users: GET /msgs/{user} and GET /fllws/{user} with a
 * `no` far above any user's count (the scenario's largest is in the hundreds). A user that does not
 * exist answers 404 and is left out. `auth` is the simulator's Authorization header (default credential
 * unless given).
 */
export async function observedState(api: string, users: string[], auth = AUTH): Promise<EndState> {
  const messages = new Map<string, number>();
  const follows = new Map<string, Set<string>>();
  const headers = { Authorization: auth };
  async function read(user: string): Promise<void> {
    const name = encodeURIComponent(user);
    const msgs = await fetch(`${api}/msgs/${name}?no=10000`, { headers });
    const fllws = await fetch(`${api}/fllws/${name}?no=10000`, { headers });
    if (msgs.status === 404 || fllws.status === 404) return;
    if (msgs.status !== 200 || fllws.status !== 200) {
      throw new Error(`reading ${user}: ${msgs.status} ${await msgs.text()} / ${fllws.status} ${await fllws.text()}`);
    }
    messages.set(user, ((await msgs.json()) as unknown[]).length);
    follows.set(user, new Set(((await fllws.json()) as { follows: string[] }).follows));
  }
  for (let i = 0; i < users.length; i += 8) await Promise.all(users.slice(i, i + 8).map(read));
  return { messages, follows };
}

export function totals(state: EndState): { users: number; messages: number; follows: number } {
  let messages = 0;
  let follows = 0;
  for (const count of state.messages.values()) messages += count;
  for (const set of state.follows.values()) follows += set.size;
  return { users: state.messages.size, messages, follows };
}

/** The state as plain sorted data, so that expect().toEqual() shows a readable difference. */
export function plain(state: EndState): Record<string, { messages: number; follows: string[] }> {
  const out: Record<string, { messages: number; follows: string[] }> = {};
  for (const [user, count] of [...state.messages].sort()) {
    out[user] = { messages: count, follows: [...(state.follows.get(user) ?? [])].sort() };
  }
  return out;
}
