// Moderation end to end: the real commands run as child processes against the database the running app uses.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApps } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { listMessages } from "../../src/data/moderation.ts";
import { type Db, openDb } from "../../src/db.ts";
import { createMetrics } from "../../src/metrics.ts";
import { migrate } from "../../src/migrate.ts";
import { Client, listenApps, type TestDb, testDb } from "../helpers.ts";
import { run } from "../run.ts";

const ROOT = join(import.meta.dir, "../..");
const SIM_AUTH = { authorization: `Basic ${btoa("simulator:super_safe!")}` };
const ABUSIVE = "Buy cheap 100%_real followers now";

// On PostgreSQL the commands run beside the app, as on a replica. PGlite cannot be shared between
// processes (the data folder is locked), so there the app's database is closed while a command runs
// and opened again afterwards, behind this handle the app keeps.
let current: Db;
let store: TestDb | undefined;
let dataDir: string | undefined;
const db: Db = {
  get engine() {
    return current.engine;
  },
  query: (name, params) => current.query(name, params),
  exec: (text) => current.exec(text),
  transaction: (fn) => current.transaction(fn),
  close: () => current.close(),
  pool: () => current.pool(),
  connect: () => current.connect(),
};

// The Prometheus gauge of flagged messages, as a replica's /metrics reports it.
const metrics = createMetrics({ version: "test", defaults: false });
async function flaggedGauge(): Promise<number> {
  const text = await metrics.registry.getSingleMetricAsString("minitwit_flagged_messages");
  const value = /^minitwit_flagged_messages (\S+)$/m.exec(text)?.[1];
  return Number(value);
}

let web: string;
let api: string;
let stopServers: () => Promise<void>;
let bobClient: Client;

beforeAll(async () => {
  if (process.env.TEST_DATABASE_URL) {
    store = await testDb();
    current = store.db;
  } else {
    dataDir = mkdtempSync(join(tmpdir(), "minitwit-cli-"));
    current = await openDb({ dataDir });
    await migrate(current);
  }
  metrics.watch(db);
  const apps = buildApps({ config: loadConfig({ LOG_LEVEL: "silent" }), db, metrics });
  const servers = listenApps(apps);
  ({ web, api } = servers);
  stopServers = servers.stop;
  const alice = new Client(web);
  await alice.register("alice");
  await alice.login("alice");
  await alice.post("/add_message", { text: "A friendly hello" });
  await alice.post("/add_message", { text: ABUSIVE });
  bobClient = new Client(web);
  await bobClient.register("bob");
  await bobClient.login("bob");
  await bobClient.post("/alice/follow", {});
}, 120_000);

afterAll(async () => {
  await stopServers();
  if (store) await store.close();
  else await current.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

/** Runs `minitwit ARGS` (through `bun src/main.ts`, or `npm run -s`) on the app's database. */
async function command(args: string[], via: "bun" | "npm" = "bun") {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/tmp",
    MINITWIT_OPERATOR: "moderator-one",
    ...(store?.url ? { DATABASE_URL: store.url } : { DATA_DIR: dataDir as string }),
  };
  const [name, ...rest] = args;
  const cmd =
    via === "bun" ? [process.execPath, "src/main.ts", ...args] : ["npm", "run", "-s", name ?? "", "--", ...rest];
  if (dataDir) await current.close();
  try {
    return await run(cmd, { cwd: ROOT, env });
  } finally {
    if (dataDir) current = await openDb({ dataDir });
  }
}

async function html(client: Client, path: string) {
  const page = await client.get(path);
  expect(page.status).toBe(200);
  expect(page.headers.get("content-type")).toContain("text/html");
  return page.text;
}

async function apiTexts(path: string): Promise<string[]> {
  const response = await fetch(`${api}${path}`, { headers: SIM_AUTH });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("application/json");
  return ((await response.json()) as { content: string }[]).map((m) => m.content);
}

/** Where the abusive message shows: the three timelines and the two API listings. */
async function whereShown() {
  return {
    public: (await html(new Client(web), "/public")).includes(ABUSIVE),
    author: (await html(new Client(web), "/alice")).includes(ABUSIVE),
    followerHome: (await html(bobClient, "/")).includes(ABUSIVE),
    apiMsgs: (await apiTexts("/msgs?no=100")).includes(ABUSIVE),
    apiUserMsgs: (await apiTexts("/msgs/alice?no=100")).includes(ABUSIVE),
  };
}

const EVERYWHERE = { public: true, author: true, followerHome: true, apiMsgs: true, apiUserMsgs: true };
const NOWHERE = { public: false, author: false, followerHome: false, apiMsgs: false, apiUserMsgs: false };

describe("[cli] moderation through the real commands", () => {
  test("[cli] Filebeat keeps the log of the one-off moderation service of docs/moderation.md", async () => {
    const config = Bun.YAML.parse(await Bun.file(join(ROOT, "observability/filebeat/filebeat.yml")).text()) as {
      "filebeat.inputs": { processors: { drop_event?: { when: { not: { regexp: Record<string, string> } } } }[] }[];
    };
    const drop = config["filebeat.inputs"][0]?.processors.find((p) => p.drop_event)?.drop_event;
    const keep = new RegExp(drop?.when.not.regexp["container.labels.com_docker_swarm_service_name"] ?? "^$");
    expect(["minitwit_moderate", "minitwit_web", "minitwit_api"].every((name) => keep.test(name))).toBe(true);
    const docs = await Bun.file(join(ROOT, "docs/moderation.md")).text();
    expect(docs).toContain("docker service create --name minitwit_moderate");
  });

  test("[cli] find a message, flag it: gone from every timeline and the API; unflag: back everywhere", async () => {
    expect(await whereShown()).toEqual(EVERYWHERE);
    expect(await flaggedGauge()).toBe(0);

    const found = await command(["messages", "--contains", "100%_real", "--json"]);
    expect(found.code).toBe(0);
    const rows = JSON.parse(found.stdout) as { id: number; author: string; flagged: boolean; text: string }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ author: "alice", flagged: false, text: ABUSIVE });
    const id = rows[0]?.id as number;

    const flagged = await command(["flag", String(id)]);
    expect(flagged.code).toBe(0);
    expect(flagged.stderr).toBe(`flagged ${id}\n`);
    const event = JSON.parse(flagged.stdout.trim());
    expect(event.event).toMatchObject({ action: "flag", outcome: "success" });
    expect(event.user.name).toBe("moderator-one");
    expect(event.minitwit.moderation.ids).toEqual([id]);
    expect(await whereShown()).toEqual(NOWHERE);
    expect(await flaggedGauge()).toBe(1);
    // The rest of alice's messages stay.
    expect(await html(new Client(web), "/alice")).toContain("A friendly hello");

    const table = await command(["messages", "--flagged"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^ *${id}  alice +\\S+ +yes +${ABUSIVE.replace(/[%_]/g, ".")}$`, "m"));

    const unflagged = await command(["unflag", String(id)], "npm");
    expect(unflagged.code).toBe(0);
    expect(unflagged.stderr).toBe(`unflagged ${id}\n`);
    expect(JSON.parse(unflagged.stdout.trim()).event.action).toBe("unflag");
    expect(await whereShown()).toEqual(EVERYWHERE);
    expect(await flaggedGauge()).toBe(0);
  }, 180_000);

  test("[cli] flag with an unknown id exits 1 naming it and hides nothing", async () => {
    const [friendly] = await listMessages(db, { contains: "friendly hello", limit: 1 });
    const r = await command(["flag", String(friendly?.id), "424242"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no message with id 424242; nothing was changed");
    expect(await whereShown()).toEqual(EVERYWHERE);
    expect(await html(new Client(web), "/public")).toContain("A friendly hello");
  }, 120_000);
});
