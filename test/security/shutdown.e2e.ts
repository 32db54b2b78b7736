// SIGTERM while clients post through the API and the web form: every acknowledged write survives,
// the process exits 0 within its grace period, and a restarted program sees them all.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { COOKIE_NAME } from "../../src/session.ts";
import { Client, type TestDb, testDb } from "../helpers.ts";

process.env.TEST_DATABASE_URL ??= "postgres://postgres@127.0.0.1:5432/postgres";
const WEB_PORT = 6410;
const API_PORT = 6411;
const WEB = `http://127.0.0.1:${WEB_PORT}`;
const API = `http://127.0.0.1:${API_PORT}`;
const GRACE = 5000;
const DELAY = 300;
const AUTH = { authorization: `Basic ${btoa("simulator:super_safe!")}`, "content-type": "application/json" };

let store: TestDb;
let child: Subprocess | undefined;

function start(): Subprocess {
  return Bun.spawn([process.execPath, "src/main.ts", "serve"], {
    env: {
      PATH: process.env.PATH ?? "",
      DATABASE_URL: store.url as string,
      PORT: String(WEB_PORT),
      API_PORT: String(API_PORT),
      METRICS_PORT: "6412",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      SHUTDOWN_GRACE_MS: String(GRACE),
      SHUTDOWN_DELAY_MS: String(DELAY),
    },
    stdout: "ignore",
    stderr: "pipe",
  });
}

async function ready(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await Promise.all(
      [WEB, API].map((b) =>
        fetch(`${b}/health`).then(
          (r) => r.ok,
          () => false,
        ),
      ),
    );
    if (ok.every(Boolean)) return;
    await Bun.sleep(100);
  }
  throw new Error("the program did not start");
}

beforeAll(async () => {
  store = await testDb();
}, 30_000);

afterAll(async () => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  await child?.exited;
  await store.close();
});

interface Tally {
  acked: string[];
  /** Requests begun after the signal that were refused or reset: never accepted, never acknowledged. */
  refused: number;
  other: string[];
  /** When the signal was sent (performance.now()), to tell requests begun before it from later ones. */
  signalled: number;
}

/**
 * A request that got no answer. Begun after the signal (and so after the last moment the program
 * promised to accept), a refused or reset connection is fine; begun before, it is a failure.
 */
function failed(tally: Tally, begun: number, error: unknown) {
  const code = String((error as { code?: string }).code ?? error);
  if (begun > tally.signalled && /refused|reset/i.test(code)) tally.refused++;
  else tally.other.push(`${code}, begun ${Math.round(begun - tally.signalled)} ms after the signal`);
}

/** Posts through the API until the program stops answering; records what got its 204. */
async function apiPoster(name: string, tally: Tally, stop: { at: number }) {
  for (let i = 0; performance.now() < stop.at; i++) {
    const content = `${name} message ${i}`;
    const begun = performance.now();
    try {
      const r = await fetch(`${API}/msgs/${name}`, {
        method: "POST",
        headers: { ...AUTH, connection: "close" },
        body: JSON.stringify({ content }),
      });
      if (r.status === 204) tally.acked.push(content);
      else tally.other.push(`${r.status}`);
      await r.arrayBuffer();
    } catch (error) {
      failed(tally, begun, error);
      await Bun.sleep(20);
    }
  }
}

/** Posts through the web form; a write is acknowledged by the redirect carrying "Your message was recorded". */
async function webPoster(client: Client, name: string, tally: Tally, stop: { at: number }) {
  for (let i = 0; performance.now() < stop.at; i++) {
    const text = `${name} web message ${i}`;
    const begun = performance.now();
    try {
      const r = await fetch(`${WEB}/add_message`, {
        method: "POST",
        headers: { cookie: client.cookie, connection: "close" },
        body: new URLSearchParams({ text }),
        redirect: "manual",
      });
      await r.arrayBuffer();
      const cookie = r.headers.get("set-cookie") ?? "";
      const body = cookie.slice(COOKIE_NAME.length + 1).split(".")[0] ?? "";
      const flashes = r.status === 303 && body ? JSON.parse(Buffer.from(body, "base64url").toString()).flashes : [];
      if (flashes?.includes("Your message was recorded")) tally.acked.push(text);
      else tally.other.push(`${r.status}`);
    } catch (error) {
      failed(tally, begun, error);
      await Bun.sleep(20);
    }
  }
}

describe("[shutdown] SIGTERM under load", () => {
  test("[shutdown] every acknowledged write survives SIGTERM, the process exits 0, a restart sees them all", async () => {
    child = start();
    await ready();
    const names = ["alice", "bob", "carol", "dave"];
    for (const username of [...names, "webby"]) {
      const r = await fetch(`${API}/register`, {
        method: "POST",
        headers: AUTH,
        body: JSON.stringify({ username, email: `${username}@example.com`, pwd: "pw" }),
      });
      expect(r.status).toBe(204);
    }
    const web = new Client(WEB);
    expect((await web.login("webby", "pw")).status).toBe(200);

    const tally: Tally = { acked: [], refused: 0, other: [], signalled: Number.POSITIVE_INFINITY };
    const stop = { at: performance.now() + 60_000 };
    const posters = [
      ...names.map((n) => apiPoster(n, tally, stop)),
      webPoster(web, "webby", tally, stop),
      webPoster(web, "webby", tally, stop),
    ];
    await Bun.sleep(1500);
    const before = tally.acked.length;
    const signalled = performance.now();
    tally.signalled = signalled;
    child.kill("SIGTERM");
    const code = await child.exited;
    const exitMs = performance.now() - signalled;
    await Bun.sleep(300);
    stop.at = 0;
    await Promise.all(posters);

    console.log(
      `[shutdown] ${tally.acked.length} acknowledged (${before} before SIGTERM), ${tally.refused} refused after, ` +
        `exit ${code} after ${Math.round(exitMs)} ms, other outcomes: ${JSON.stringify(tally.other)}`,
    );
    expect(code).toBe(0);
    expect(exitMs).toBeGreaterThanOrEqual(DELAY);
    expect(exitMs).toBeLessThan(DELAY + GRACE + 2000);
    expect(before).toBeGreaterThan(10);
    expect(tally.refused).toBeGreaterThan(0);
    expect(tally.other).toEqual([]);

    child = start();
    await ready();
    const stored = new Set<string>();
    for (const n of [...names, "webby"]) {
      const r = await fetch(`${API}/msgs/${n}?no=10000`, { headers: AUTH });
      expect(r.status).toBe(200);
      for (const m of (await r.json()) as { content: string }[]) stored.add(m.content);
    }
    const lost = tally.acked.filter((m) => !stored.has(m));
    expect(lost).toEqual([]);
    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
  }, 90_000);
});
