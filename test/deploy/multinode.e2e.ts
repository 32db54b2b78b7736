// The stack on three Docker nodes on this one machine (issue 16): three network namespaces on a bridge,
// a dockerd in each, joined as one manager and two workers, the stack deployed across them with
// swarm/deploy.sh; then, while the course's scenario is replayed through the proxy, a worker drained
// (planned maintenance: no error) and a worker's network cut (a node dying: how long requests fail, how
// long until its replicas run elsewhere, and that no write answered 204 is missing afterwards); last,
// the database failed over to a worker from a dump, as docs/operations.md says.
// The images are built once by the engine in the root namespace (the nodes have no route out) and
// copied into the nodes with docker save | docker load. Needs root, docker.io, debootstrap, iproute2,
// iptables. Removes what it made: the stack, the daemons (by pid), the namespaces, links and the rule.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Action, parseScenario, type Summary } from "../../bench/simulate.ts";
import { settleDisk } from "../api/program.ts";
import { type Finished, run } from "../run.ts";
import {
  describeReplay,
  otherThanTimeouts,
  prefixedScenario,
  printFigures,
  type Replayed,
  replayed,
  startEngine,
  stopEngine,
  until,
} from "./swarm-lib.ts";

setDefaultTimeout(600_000);

const ROOT = resolve(import.meta.dir, "../..");
const STACK = "minitwit-mn";
const IMAGE = "ghcr.io/minitwit/minitwit";
const TAG = "mn-1";
/** Clients of the replays: the course's simulator's order, at least 8 (issue 12). */
const CONCURRENCY = Number(process.env.DEPLOY_TEST_CONCURRENCY ?? 8);
/** Actions per replay round: 6–20 s each at 8 clients here. */
const ROUND = 3000;
const SIM_PASSWORD = "multinode-test-simulator-password";
/** Swarm's dispatcher heartbeat (docs/operations.md, "When a node fails"). */
const HEARTBEAT = process.env.MULTINODE_HEARTBEAT ?? "2s";
const BRIDGE = "mtw-br";
const SUBNET = "192.168.213";
const NODES = ["mtw-n1", "mtw-n2", "mtw-n3"];
const work = mkdtempSync(join(tmpdir(), "minitwit-multinode-"));
const env = { ...process.env, DOCKER_BUILDKIT: "0" } as Record<string, string>;

interface Node {
  name: string;
  address: string;
  /** The host end of its link to the bridge (the node's end is eth0 in its namespace). */
  link: string;
  dir: string;
  socket: string;
  dockerd?: Bun.Subprocess;
}
const nodes: Node[] = NODES.map((name, i) => ({
  name,
  address: `${SUBNET}.${11 + i}`,
  link: `${name}-br`,
  dir: join(work, name),
  socket: join(work, name, "docker.sock"),
}));
const manager = nodes[0] as Node;
const PROXY = `http://${manager.address}`;
/** The simulator API's host name (the proxy sends api.* there), node 1's address in the replays' hosts file. */
const API_HOST = "api.minitwit.test";

/** Measured figures, printed at the end for docs/operations.md. */
const figures: Record<string, string> = {};
/** What the test made, for afterAll. */
const made = { bridge: false, rule: false, namespaces: [] as string[] };
let rootDockerd: Bun.Subprocess | undefined;

async function sh(cmd: string[], extra: Record<string, string> = {}): Promise<Finished> {
  return run(cmd, { cwd: ROOT, env: { ...env, ...extra } });
}

async function ok(cmd: string[], extra: Record<string, string> = {}): Promise<string> {
  const result = await sh(cmd, extra);
  if (result.code !== 0) throw new Error(`${cmd.join(" ")} exited ${result.code}: ${result.stderr}${result.stdout}`);
  return result.stdout.trim();
}

/** The docker command line against a node's engine. */
function docker(node: Node, ...args: string[]): string[] {
  return ["docker", "-H", `unix://${node.socket}`, ...args];
}

function lines(text: string): string[] {
  return text.split("\n").filter(Boolean);
}

function since(started: number): number {
  return Math.round((Date.now() - started) / 100) / 10;
}

/** Memory of a node in MB: its containers' (`docker stats`) and its daemons' (dockerd, containerd; RSS). */
async function memory(node: Node): Promise<{ containers: number; daemons: number }> {
  const usage = lines(await ok(docker(node, "stats", "--no-stream", "--format", "{{.MemUsage}}")));
  const unit: Record<string, number> = { B: 1e-6, KiB: 1024 / 1e6, MiB: 1.048576, GiB: 1073.741824 };
  let containers = 0;
  for (const line of usage) {
    const [, value, suffix] = /^([\d.]+)(\w+)/.exec(line) ?? [];
    containers += Number(value) * (unit[suffix ?? ""] ?? Number.NaN);
  }
  const pid = node.dockerd?.pid as number;
  let daemons = 0;
  for (const p of [String(pid), ...lines((await sh(["pgrep", "-P", String(pid)])).stdout)]) {
    daemons += Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/status`, "utf8"))?.[1]) / 1e3;
  }
  return { containers: Math.round(containers), daemons: Math.round(daemons) };
}

/** A node's dockerd in its network namespace and a UTS namespace of its own (the node's host name). */
function startDockerd(node: Node): Bun.Subprocess {
  mkdirSync(node.dir, { recursive: true });
  const dockerd = [
    "dockerd",
    `--data-root=${join(node.dir, "data")}`,
    `--exec-root=${join(node.dir, "exec")}`,
    `--pidfile=${join(node.dir, "dockerd.pid")}`,
    `--host=unix://${node.socket}`,
    `--cgroup-parent=${node.name}`,
  ].join(" ");
  const log = join(node.dir, "dockerd.log");
  // `ip netns exec` would remount /sys, and dockerd then finds no devices cgroup; nsenter does not.
  return Bun.spawn(
    [
      "nsenter",
      `--net=/var/run/netns/${node.name}`,
      "unshare",
      "--uts",
      "sh",
      "-c",
      `hostname ${node.name} && exec ${dockerd} >${log} 2>&1`,
    ],
    { stdout: "ignore", stderr: "ignore" },
  );
}

/** Tasks of a stack service meant to run, as [node, state] pairs. */
async function tasks(service: string): Promise<[string, string][]> {
  const out = await ok(
    docker(
      manager,
      "service",
      "ps",
      `${STACK}_${service}`,
      "--filter",
      "desired-state=running",
      "--format",
      "{{.Node}} {{.CurrentState}}",
    ),
  );
  return lines(out).map((line) => {
    const [node, state] = line.split(" ");
    return [node as string, state as string];
  });
}

/** For each of web and api, the nodes its running tasks are on. */
async function placement(): Promise<Record<string, string[]>> {
  const result: Record<string, string[]> = {};
  for (const service of ["web", "api"]) {
    result[service] = (await tasks(service))
      .filter(([, state]) => state === "Running")
      .map(([node]) => node)
      .sort();
  }
  return result;
}

const REPLICAS: Record<string, number> = { web: 2, api: 3 };

/** Whether web and api run all their replicas, none of them on `avoid`. */
async function allRunningOutside(avoid: string): Promise<boolean> {
  for (const service of ["web", "api"]) {
    const all = await tasks(service);
    const running = all.filter(([node, state]) => state === "Running" && node !== avoid);
    if (running.length !== REPLICAS[service] || all.length !== REPLICAS[service]) return false;
  }
  return true;
}

/**
 * One replay round: `npm run simulate` from the host, as a client from outside, through the proxy's port
 * 80 on node 1's address. It needs an api.* host name for that address: a hosts file of its own, bound
 * over /etc/hosts in a mount namespace of its own. (From inside node 1's namespace, 127.0.0.1:80 would go
 * through Docker's userland proxy, which took half a core here.)
 */
interface Round {
  scenario: string;
  record: string;
  summary: Summary;
}
const rounds: Round[] = [];

async function replay(prefix: string, limit = ROUND): Promise<Round> {
  const scenario = prefixedScenario(work, prefix);
  const record = join(work, `record-${prefix.trim()}.tsv`);
  const hosts = join(work, "hosts");
  if (!existsSync(hosts)) writeFileSync(hosts, `127.0.0.1 localhost\n${manager.address} ${API_HOST}\n`);
  const simulate = [
    process.execPath,
    "bench/simulate.ts",
    ...["--base", `http://${API_HOST}`, "--concurrency", String(CONCURRENCY), "--password", SIM_PASSWORD],
    ...["--limit", String(limit), "--scenario", scenario, "--record", record, "--json"],
  ];
  const { code, stdout, stderr } = await run(
    ["unshare", "--mount", "sh", "-c", `mount --bind ${hosts} /etc/hosts && exec "$@"`, "sh", ...simulate],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? "" } },
  );
  if (code !== 0 && code !== 1) throw new Error(`npm run simulate exited ${code}: ${stderr}`);
  const round = { scenario, record, summary: JSON.parse(stdout) as Summary };
  rounds.push(round);
  return round;
}

/** Replay rounds, one after the other, until `busy` has settled (at least one). */
async function replayWhile(busy: Promise<unknown>, prefix: string): Promise<{ replay: Replayed; rounds: Round[] }> {
  let settled = false;
  busy.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  const mine: Round[] = [];
  do mine.push(await replay(`${prefix}${mine.length} `));
  while (!settled);
  return { replay: replayed(mine.map((r) => r.summary)), rounds: mine };
}

interface Outcome {
  at: number;
  action: Action;
  outcome: string;
}

/** Every action of a round with its outcome (the status answered, or the kind of error) and its time. */
function outcomes(round: Round): Outcome[] {
  const byId = new Map(parseScenario(readFileSync(round.scenario, "utf8")).map((a) => [a.id, a]));
  return lines(readFileSync(round.record, "utf8")).map((line) => {
    const [at, id, outcome] = line.split("\t");
    return { at: Number(at), action: byId.get(Number(id)) as Action, outcome: outcome as string };
  });
}

function failed(o: Outcome): boolean {
  return !(o.outcome === "204" || (o.action.command === "register" && o.outcome === "400"));
}

const COUNTS = "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM messages), (SELECT count(*) FROM follows)";

/** The database (on node 1 unless said), by psql in its container; rows of fields separated by \x1f. */
async function query(sql: string, node = manager): Promise<string[][]> {
  const id = await until("a running db container", 60, async () => {
    const out = await ok(docker(node, "ps", "-q", "--filter", `name=${STACK}_db.`));
    return lines(out)[0];
  });
  const out = await ok(
    docker(node, "exec", id, "psql", "-U", "minitwit", "-d", "minitwit", "-At", "-F", "\x1f", "-c", sql),
  );
  return lines(out).map((line) => line.split("\x1f"));
}

beforeAll(async () => {
  rootDockerd = await startEngine(work);
  const left = lines(await ok(["ip", "netns", "list"])).filter((n) => n.startsWith("mtw-"));
  if (left.length > 0 || existsSync(`/sys/class/net/${BRIDGE}`)) {
    throw new Error(`namespaces ${left.join(", ")} or bridge ${BRIDGE} exist: another run's, or one that was killed`);
  }
});

afterAll(async () => {
  // The stack first, so that no task is stopped by its engine's shutdown (30 s stop grace period).
  if (nodes.some((n) => n.dockerd)) {
    await sh(docker(manager, "stack", "rm", STACK));
    for (const node of nodes) {
      if (!node.dockerd) continue;
      await sh(docker(node, "swarm", "leave", "--force"));
      const ids = lines((await sh(docker(node, "ps", "-aq"))).stdout);
      if (ids.length > 0) await sh(docker(node, "rm", "-f", "-v", ...ids));
    }
  }
  for (const node of nodes) {
    if (!node.dockerd) continue;
    node.dockerd.kill("SIGTERM");
    const timer = setTimeout(() => node.dockerd?.kill("SIGKILL"), 30_000);
    await node.dockerd.exited;
    clearTimeout(timer);
  }
  // Mounts the daemons left under the work folder (container layers, network namespaces), deepest first.
  const mounts = lines((await sh(["findmnt", "-rn", "-o", "TARGET"])).stdout)
    .filter((m) => m.startsWith(`${work}/`))
    .sort()
    .reverse();
  for (const mount of mounts) await sh(["umount", "-l", mount]);
  for (const name of made.namespaces) {
    await sh(["ip", "netns", "del", name]);
    await sh(["ip", "link", "del", `${name}-br`]); // gone with its peer, unless the namespace was not
    // The daemon's cgroups (--cgroup-parent), empty now.
    await sh([
      "bash",
      "-c",
      `find /sys/fs/cgroup -depth -type d -path '*/${name}*' -exec rmdir {} + 2>/dev/null; true`,
    ]);
  }
  if (made.bridge) await sh(["ip", "link", "del", BRIDGE]);
  if (made.rule) await sh(["iptables", "-D", "FORWARD", "-i", BRIDGE, "-o", BRIDGE, "-j", "ACCEPT"]);
  await stopEngine(rootDockerd);
  rmSync(work, { recursive: true, force: true });
  printFigures("multinode", figures);
});

describe("[multinode] three nodes", () => {
  test("[multinode] the images, built once by the engine in the root namespace", async () => {
    const standins = await sh(["bash", "test/deploy/images/build.sh"]);
    expect({ code: standins.code, stderr: standins.code === 0 ? "" : standins.stderr }).toEqual({
      code: 0,
      stderr: "",
    });
    const built = await sh(["docker", "build", "-q", "--build-arg", `VERSION=${TAG}`, "-t", `${IMAGE}:${TAG}`, "."]);
    expect({ code: built.code, stderr: built.code === 0 ? "" : built.stderr }).toEqual({ code: 0, stderr: "" });
    figures["images (stand-ins and the project's, build caches warm)"] =
      `${(standins.seconds + built.seconds).toFixed(0)} s`;
  });

  test("[multinode] three namespaces on a bridge, a dockerd in each, the images loaded into them", async () => {
    const started = Date.now();
    await ok(["ip", "link", "add", BRIDGE, "type", "bridge"]);
    made.bridge = true;
    await ok(["ip", "addr", "add", `${SUBNET}.1/24`, "dev", BRIDGE]);
    await ok(["ip", "link", "set", BRIDGE, "up"]);
    // The host's FORWARD policy may be DROP (Docker sets it): traffic between the nodes crosses it.
    await ok(["iptables", "-I", "FORWARD", "-i", BRIDGE, "-o", BRIDGE, "-j", "ACCEPT"]);
    made.rule = true;
    for (const node of nodes) {
      await ok(["ip", "netns", "add", node.name]);
      made.namespaces.push(node.name);
      await ok(["ip", "link", "add", node.link, "type", "veth", "peer", "name", "eth0", "netns", node.name]);
      await ok(["ip", "link", "set", node.link, "master", BRIDGE, "up"]);
      await ok(["ip", "-n", node.name, "addr", "add", `${node.address}/24`, "dev", "eth0"]);
      await ok(["ip", "-n", node.name, "link", "set", "eth0", "up"]);
      await ok(["ip", "-n", node.name, "link", "set", "lo", "up"]);
      node.dockerd = startDockerd(node);
    }
    for (const node of nodes) {
      await until(`${node.name}'s dockerd answering`, 60, async () =>
        (await sh(docker(node, "info"))).code === 0 ? true : undefined,
      );
    }
    figures["three dockerds answering"] = `${since(started)} s`;
    // Every image on every node (web, api and migrate go anywhere; the database moves in the last test),
    // as a registry would serve them.
    const postgres = /image: (postgres:\S+)/.exec(readFileSync(join(ROOT, "swarm/stack.yml"), "utf8"))?.[1] as string;
    const nginx = /image: (nginxinc\/\S+)/.exec(readFileSync(join(ROOT, "swarm/stack.yml"), "utf8"))?.[1] as string;
    const loaded = Date.now();
    await ok(["bash", "-c", `docker save ${IMAGE}:${TAG} > ${work}/app.tar`]);
    await ok(["bash", "-c", `docker save ${postgres} ${nginx} > ${work}/upstream.tar`]);
    await Promise.all(
      nodes.map((node) =>
        ok(["bash", "-c", `set -e; ${docker(node, "load", "-q").join(" ")} < ${work}/app.tar`]).then(() =>
          ok(["bash", "-c", `${docker(node, "load", "-q").join(" ")} < ${work}/upstream.tar`]),
        ),
      ),
    );
    rmSync(join(work, "app.tar"));
    rmSync(join(work, "upstream.tar"));
    figures["images saved and loaded into the nodes"] = `${since(loaded)} s`;
  });

  test("[multinode] one manager and two workers; heartbeat, labels and secrets as docs/operations.md says", async () => {
    const started = Date.now();
    await ok(docker(manager, "swarm", "init", "--advertise-addr", manager.address));
    await ok(docker(manager, "swarm", "update", "--dispatcher-heartbeat", HEARTBEAT));
    const token = await ok(docker(manager, "swarm", "join-token", "-q", "worker"));
    for (const node of nodes.slice(1)) {
      await ok(
        docker(node, "swarm", "join", "--advertise-addr", node.address, "--token", token, `${manager.address}:2377`),
      );
    }
    const ready = await until("three nodes ready", 60, async () => {
      const out = await ok(docker(manager, "node", "ls", "--format", "{{.Hostname}} {{.Status}} {{.ManagerStatus}}"));
      return lines(out).filter((l) => / Ready/.test(l)).length === 3 ? out : undefined;
    });
    expect(
      lines(ready)
        .map((l) => l.trim())
        .sort(),
    ).toEqual(["mtw-n1 Ready Leader", "mtw-n2 Ready ", "mtw-n3 Ready "].map((l) => l.trim()));
    figures["swarm of three nodes ready"] = `${since(started)} s`;
    await ok(
      docker(
        manager,
        "node",
        "update",
        ...["proxy", "db", "monitoring", "logging"].flatMap((l) => ["--label-add", `minitwit.${l}=true`]),
        manager.name,
      ),
    );
    const password = crypto.randomUUID();
    const secrets: Record<string, string> = {
      minitwit_secret_key_v1: crypto.randomUUID() + crypto.randomUUID(),
      minitwit_sim_password_v1: SIM_PASSWORD,
      minitwit_postgres_password_v1: password,
      minitwit_database_url_v1: `postgres://minitwit:${password}@db:5432/minitwit`,
      minitwit_grafana_admin_password_v1: crypto.randomUUID(),
      minitwit_grafana_postgres_password_v1: crypto.randomUUID(),
    };
    for (const [name, value] of Object.entries(secrets)) {
      writeFileSync(join(work, name), value);
      await ok(docker(manager, "secret", "create", name, join(work, name)));
      rmSync(join(work, name));
    }
  });

  test("[multinode] swarm/deploy.sh across the nodes (ENCRYPT_BACKEND=false): db and proxy on node 1, web and api spread", async () => {
    const result = await run(["bash", "swarm/deploy.sh", TAG], {
      cwd: ROOT,
      env: {
        ...env,
        DOCKER_HOST: `unix://${manager.socket}`,
        STACK,
        MINITWIT_IMAGE: IMAGE,
        RESOLVE_IMAGE: "never",
        ENCRYPT_BACKEND: "false",
        STACK_OVERRIDES: "test/deploy/swarm-override.yml test/deploy/multinode-override.yml",
        HEALTH_URL: `${PROXY}/health`,
        TIMEOUT: "300",
      },
    });
    if (result.code !== 0) console.error(result.stdout, result.stderr);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("backend network unencrypted (ENCRYPT_BACKEND=false)");
    expect(result.stdout).toContain(`deploy: done: ${IMAGE}:${TAG} is live`);
    figures["first deploy across three nodes (deploy.sh)"] = `${result.seconds.toFixed(0)} s`;
    const options = await ok(docker(manager, "network", "inspect", "-f", "{{json .Options}}", `${STACK}_backend`));
    expect(options).not.toContain("encrypted");
    for (const service of ["db", "proxy"]) expect((await tasks(service)).map(([n]) => n)).toEqual([manager.name]);
    const spread = await placement();
    console.error(`[multinode] placement after the deploy: ${JSON.stringify(spread)}`);
    expect(spread.web?.length).toBe(2);
    expect(spread.api?.length).toBe(3);
    expect(new Set(spread.web).size).toBeGreaterThanOrEqual(2);
    expect(new Set(spread.api).size).toBeGreaterThanOrEqual(2);
    const used = await Promise.all(nodes.map(memory));
    figures["memory after the deploy, containers + dockerd and containerd (RSS)"] = nodes
      .map((n, i) => `${n.name} ${used[i]?.containers} + ${used[i]?.daemons} MB`)
      .join(", ");
    // Requests reach tasks on every node over the overlay network: every api task answers through the proxy.
    const warm = await replay("w ", 1000);
    console.error(`[multinode] warm-up: ${describeReplay(replayed([warm.summary]))}`);
  });

  /** The worker with the most web and api tasks: the one drained, and later cut off. */
  let victim = nodes[2] as Node;
  let drain: Replayed;
  test("[multinode] a worker drained during a replay: its tasks move to the other nodes", async () => {
    const spread = await placement();
    const count = (n: Node) => [...(spread.web ?? []), ...(spread.api ?? [])].filter((x) => x === n.name).length;
    victim = nodes.slice(1).reduce((a, b) => (count(b) > count(a) ? b : a));
    settleDisk();
    const started = Date.now();
    let moved = 0;
    const draining = (async () => {
      await Bun.sleep(3000);
      const at = Date.now();
      await ok(docker(manager, "node", "update", "--availability", "drain", victim.name));
      await until("web and api all running on the other nodes", 120, async () =>
        (await allRunningOutside(victim.name)) ? true : undefined,
      );
      moved = since(at);
      // And the drained node's tasks have stopped (10 s drain of the program after SIGTERM).
      await until(`no task left on ${victim.name}`, 60, async () =>
        lines(await ok(docker(victim, "ps", "-q", "--filter", `name=${STACK}_`))).length === 0 ? true : undefined,
      );
    })();
    const result = await replayWhile(draining, "d");
    await draining;
    drain = result.replay;
    console.error(`[multinode] replay during the drain of ${victim.name}:\n${describeReplay(drain)}`);
    figures["drain: web and api all running on the other nodes"] = `${moved} s after the drain command`;
    figures["replay during the drain"] =
      `${drain.actions} actions in ${since(started)} s, ${drain.errors} errors ${JSON.stringify(drain.errorsByKind)}`;
    for (const names of Object.values(await placement())) expect(names).not.toContain(victim.name);
  });

  test("[multinode] ... no request of the replay failed otherwise than by the simulator's 0.3 s timeout", () => {
    expect(otherThanTimeouts(drain)).toEqual([]);
  });

  // Strict only with DEPLOY_TEST_STRICT=1, as in swarm.e2e.ts. 0 errors in every quiet run on the Intel
  // machines of 30 November and 1 December; on the AMD EPYC machine of 1 December 04:00 the warm-up
  // alone, before any drain, had 53 timeouts in 1,000 actions at 8 clients, and the drain 80 in 6,000
  // (docs/operations.md). The test above (nothing failed but by the timeout) always runs, and the
  // figures print the count.
  test.skipIf(process.env.DEPLOY_TEST_STRICT !== "1")(`[multinode] ... 0 errors at ${CONCURRENCY} clients`, () => {
    expect(drain.errorsByKind).toEqual({});
    expect(drain.errors).toBe(0);
  });

  test("[multinode] the drained worker made active again gets its share back by the documented rebalance", async () => {
    await ok(docker(manager, "node", "update", "--availability", "active", victim.name));
    const started = Date.now();
    // docs/operations.md, "Planned maintenance of a node": twice the replicas (the new ones go to the
    // emptiest nodes), then back (Swarm removes tasks from the nodes with the most).
    await ok(docker(manager, "service", "scale", "--detach", `${STACK}_web=4`, `${STACK}_api=6`));
    await until("4 web and 6 api tasks running", 120, async () => {
      const [web, api] = [await tasks("web"), await tasks("api")];
      const running = (t: [string, string][]) => t.filter(([, state]) => state === "Running").length;
      return running(web) === 4 && running(api) === 6 ? true : undefined;
    });
    await ok(docker(manager, "service", "scale", "--detach", `${STACK}_web=2`, `${STACK}_api=3`));
    const spread = await until("2 web and 3 api tasks", 60, async () => {
      const placed = await placement();
      return placed.web?.length === 2 && placed.api?.length === 3 ? placed : undefined;
    });
    figures["rebalance (scale web and api to twice, then back)"] = `${since(started)} s`;
    console.error(`[multinode] placement after the rebalance: ${JSON.stringify(spread)}`);
    expect(new Set(spread.api)).toEqual(new Set(NODES));
    expect(new Set(spread.web).size).toBe(2);
    expect(spread.api).toContain(victim.name);
    // The removed tasks have stopped (their 10 s drain) before the next test cuts a node.
    await until("the removed tasks stopped", 60, async () => {
      for (const node of nodes) {
        const ids = await ok(
          docker(node, "ps", "-q", "--filter", `name=${STACK}_web.`, "--filter", `name=${STACK}_api.`),
        );
        if (lines(ids).length !== [...(spread.web ?? []), ...(spread.api ?? [])].filter((n) => n === node.name).length)
          return undefined;
      }
      return true;
    });
  });

  let cut: Replayed;
  let cutRounds: Round[] = [];
  let cutAt = 0;
  test("[multinode] a worker's network cut during a replay: its replicas run on the other nodes again", async () => {
    settleDisk();
    let down = 0;
    let back = 0;
    const failing = (async () => {
      await Bun.sleep(5000);
      cutAt = Date.now();
      await ok(["ip", "link", "set", victim.link, "down"]);
      const watchDown = until(
        `${victim.name} down`,
        120,
        async () => {
          const state = await ok(docker(manager, "node", "inspect", "-f", "{{.Status.State}}", victim.name));
          return state === "down" ? true : undefined;
        },
        250,
      ).then(() => {
        down = since(cutAt);
      });
      await until(
        "web and api all running on the other nodes",
        180,
        async () => ((await allRunningOutside(victim.name)) ? true : undefined),
        500,
      );
      back = since(cutAt);
      await watchDown;
      // The replay goes on a while after.
      await Bun.sleep(5000);
    })();
    const result = await replayWhile(failing, "c");
    await failing;
    cut = result.replay;
    cutRounds = result.rounds;
    console.error(`[multinode] replay across the cut of ${victim.name}:\n${describeReplay(cut)}`);
    figures["cut: node marked down after"] = `${down} s (dispatcher heartbeat ${HEARTBEAT})`;
    figures["cut: web and api all running on the other nodes after"] = `${back} s`;
    expect(back).toBeGreaterThan(0);
    expect(back).toBeLessThanOrEqual(30);
  });

  test("[multinode] ... requests failed only in a short window after the cut, and the replay went on", () => {
    const all = cutRounds.flatMap(outcomes);
    // A tweet or follow of a user whose registration failed answers 404 for the rest of the round: a
    // consequence of that failure, not a failure of its own.
    const unregistered = new Set(
      all.filter((o) => o.action.command === "register" && failed(o)).map((o) => o.action.user),
    );
    const consequence = (o: Outcome) =>
      o.outcome === "404" && (unregistered.has(o.action.user) || unregistered.has(o.action.other ?? ""));
    const errors = all.filter((o) => failed(o) && !consequence(o)).sort((a, b) => a.at - b.at);
    const before = errors.filter((o) => o.at < cutAt);
    const after = errors.filter((o) => o.at >= cutAt);
    // The failures the cut caused: the ones from the cut on, each within 1 s of the one before.
    let window = 0;
    let burst = 0;
    for (const o of after) {
      if ((o.at - cutAt) / 1000 > window + 1) break;
      window = (o.at - cutAt) / 1000;
      burst++;
    }
    const later = after.slice(burst);
    const answeredAfter = all.filter((o) => o.at > cutAt + window * 1000 && !failed(o)).length;
    figures["replay across the cut"] =
      `${cut.actions} actions, ${cut.errors} errors ${JSON.stringify(cut.errorsByKind)}`;
    figures["cut: requests failing after it (in flight to the node, then within 1 s of each other)"] =
      `${burst} within ${window.toFixed(2)} s of the cut`;
    figures["cut: other failures of the replay"] =
      `${before.length} before the cut; ${later.length} later, at ${later.map((o) => `${((o.at - cutAt) / 1000).toFixed(1)} s (${o.action.command} ${o.outcome})`).join(", ") || "-"}; ` +
      `404s after a failed registration: ${all.filter(consequence).length}`;
    console.error(
      `[multinode] failures from the cut on (s after it): ${after
        .slice(0, 40)
        .map((o) => `${((o.at - cutAt) / 1000).toFixed(2)} ${o.action.command} ${o.outcome}`)
        .join(", ")}`,
    );
    expect(otherThanTimeouts(cut)).toEqual([]);
    expect(window).toBeLessThanOrEqual(3);
    expect(answeredAfter).toBeGreaterThan(1000);
  });

  test("[multinode] the node back: it rejoins, and its stale tasks stop", async () => {
    const started = Date.now();
    await ok(["ip", "link", "set", victim.link, "up"]);
    await until(
      `${victim.name} ready`,
      120,
      async () =>
        (await ok(docker(manager, "node", "inspect", "-f", "{{.Status.State}}", victim.name))) === "ready"
          ? true
          : undefined,
      500,
    );
    figures["cut undone: node ready again after"] = `${since(started)} s`;
    await until(`no stale web or api task running on ${victim.name}`, 120, async () =>
      lines(await ok(docker(victim, "ps", "-q", "--filter", `name=${STACK}_web.`, "--filter", `name=${STACK}_api.`)))
        .length === 0
        ? true
        : undefined,
    );
    figures["cut undone: stale tasks stopped after"] = `${since(started)} s`;
  });

  test("[multinode] no write answered 204 is missing from the database (every round of every replay)", async () => {
    const users = new Set((await query("SELECT username FROM users")).map(([u]) => u));
    const messages = new Map<string, number>();
    for (const [user, text] of await query(
      "SELECT u.username, m.text FROM messages m JOIN users u ON u.id = m.author_id",
    )) {
      const key = `${user}\x1f${text}`;
      messages.set(key, (messages.get(key) ?? 0) + 1);
    }
    const follows = new Set(
      (
        await query(
          "SELECT a.username, b.username FROM follows f JOIN users a ON a.id = f.who_id JOIN users b ON b.id = f.whom_id",
        )
      ).map(([a, b]) => `${a}\x1f${b}`),
    );
    const missing: string[] = [];
    let acknowledged = 0;
    for (const round of rounds) {
      const acked = new Map<string, number>();
      // The last action on each pair of users, in the order played: the pair's state must be what it did.
      const lastOnPair = new Map<string, Outcome>();
      for (const o of outcomes(round)) {
        const { command, user, content, other } = o.action;
        if (command === "follow" || command === "unfollow") lastOnPair.set(`${user}\x1f${other}`, o);
        if (o.outcome !== "204") continue;
        acknowledged++;
        if (command === "register" && !users.has(user)) missing.push(`user ${user}`);
        if (command === "tweet") {
          const key = `${user}\x1f${content}`;
          acked.set(key, (acked.get(key) ?? 0) + 1);
        }
      }
      for (const [key, count] of acked) {
        if ((messages.get(key) ?? 0) < count) missing.push(`message ${key.replace("\x1f", ": ")}`);
      }
      for (const [pair, o] of lastOnPair) {
        if (o.outcome !== "204") continue;
        if (follows.has(pair) !== (o.action.command === "follow")) {
          missing.push(`${o.action.command} ${pair.replace("\x1f", " → ")}`);
        }
      }
    }
    figures["writes answered 204, checked against the database"] = `${acknowledged}, ${missing.length} missing`;
    expect(acknowledged).toBeGreaterThan(10_000);
    expect(missing).toEqual([]);
  });

  test("[multinode] the database failed over to another node from the backup's dump (docs/operations.md)", async () => {
    const backup = async (node: Node) =>
      until(`a running backup container on ${node.name}`, 90, async () => {
        return lines(await ok(docker(node, "ps", "-q", "--filter", `name=${STACK}_backup.`)))[0];
      });
    const dumps = async (node: Node, id: string) =>
      lines(await ok(docker(node, "exec", id, "sh", "-c", "ls /backups | grep '^minitwit-.*\\.dump$' || true")));
    // A dump now (the backup loop writes one when it starts), copied off the node.
    const before = new Set(await dumps(manager, await backup(manager)));
    await ok(docker(manager, "service", "update", "--force", "--detach", "--quiet", `${STACK}_backup`));
    let fresh = "";
    const dump = await until("a new dump", 90, async () => {
      fresh = await backup(manager);
      return (await dumps(manager, fresh)).find((f) => !before.has(f));
    });
    await ok(docker(manager, "cp", `${fresh}:/backups/${dump}`, join(work, "restore.dump")));
    const counts = await query(COUNTS);
    // Node 1 "lost": the database's label moves to a worker; Swarm starts db and backup there, on empty volumes.
    const target = nodes[1] as Node;
    const started = Date.now();
    await ok(docker(manager, "node", "update", "--label-rm", "minitwit.db", manager.name));
    await ok(docker(manager, "node", "update", "--label-add", "minitwit.db=true", target.name));
    await until(`db running on ${target.name}`, 120, async () => {
      const db = await tasks("db");
      return db.length === 1 && db[0]?.[0] === target.name && db[0]?.[1] === "Running" ? true : undefined;
    });
    figures["database failover: db running on the other node (empty volume) after"] = `${since(started)} s`;
    await ok(docker(manager, "service", "scale", "--detach", `${STACK}_web=0`, `${STACK}_api=0`));
    await until("web and api stopped", 90, async () => {
      for (const node of nodes) {
        const ids = await ok(
          docker(node, "ps", "-q", "--filter", `name=${STACK}_web.`, "--filter", `name=${STACK}_api.`),
        );
        if (ids !== "") return undefined;
      }
      return true;
    });
    const id = await backup(target);
    await ok(docker(target, "cp", join(work, "restore.dump"), `${id}:/backups/restore.dump`));
    await ok(
      docker(
        target,
        "exec",
        id,
        "sh",
        "-c",
        'PGPASSWORD="$(cat /run/secrets/postgres_password)" pg_restore --clean --if-exists --no-owner -h db -U minitwit -d minitwit /backups/restore.dump',
      ),
    );
    await ok(docker(manager, "service", "scale", "--detach", `${STACK}_web=2`, `${STACK}_api=3`));
    await until(
      "web and api answering through the proxy",
      120,
      async () => {
        const health = await fetch(`${PROXY}/health`, { signal: AbortSignal.timeout(2000) });
        return health.status === 200 && (await allRunningOutside("")) ? true : undefined;
      },
      500,
    );
    figures["database failover: web and api answering on the restored database after"] = `${since(started)} s`;
    expect(await query(COUNTS, target)).toEqual(counts);
  });
});
