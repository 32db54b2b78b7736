// The cached timelines stay fresh on every replica (src/data/timeline-cache.ts): two program processes
// on one PostgreSQL database; a write through one is on the very next page the other serves, and a flag
// or unflag hides or shows a message at once. Needs TEST_DATABASE_URL (.ci/run gives it).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { type Program, startProgram } from "../api/program.ts";
import { Client, type TestDb, testDb } from "../helpers.ts";
import { run } from "../run.ts";

setDefaultTimeout(120_000);

const AUTH = { Authorization: `Basic ${btoa("simulator:super_safe!")}` };
let store: TestDb;
let a: Program;
let b: Program;

beforeAll(async () => {
  if (!process.env.TEST_DATABASE_URL) throw new Error("freshness.e2e.ts needs TEST_DATABASE_URL (a PostgreSQL server)");
  store = await testDb();
  [a, b] = await Promise.all([
    startProgram({ DATABASE_URL: store.url as string }),
    startProgram({ DATABASE_URL: store.url as string }),
  ]);
  for (const name of ["ada", "bob"]) {
    const reply = await fetch(`${a.api}/register`, {
      method: "POST",
      headers: AUTH,
      body: JSON.stringify({ username: name, email: `${name}@example.com`, pwd: "secret" }),
    });
    expect(reply.status).toBe(204);
  }
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await store?.close();
});

async function apiPost(program: Program, user: string, content: string): Promise<void> {
  const reply = await fetch(`${program.api}/msgs/${user}`, {
    method: "POST",
    headers: AUTH,
    body: JSON.stringify({ content }),
  });
  expect(reply.status).toBe(204);
}

async function apiTexts(program: Program, path: string): Promise<string[]> {
  const reply = await fetch(`${program.api}${path}`, { headers: AUTH });
  expect(reply.status).toBe(200);
  return ((await reply.json()) as { content: string }[]).map((m) => m.content);
}

async function page(program: Program, path: string, client?: Client): Promise<string> {
  const reply = client ? await client.get(path, false) : await fetch(`${program.web}${path}`);
  const text = client ? (reply as { text: string }).text : await (reply as Response).text();
  expect(reply.status).toBe(200);
  return text;
}

/** Whether `text` shows on each of the four cached views of `user` on one replica. */
async function shown(program: Program, user: string, text: string, client?: Client): Promise<string[]> {
  const where: string[] = [];
  if ((await page(program, "/public", client)).includes(text)) where.push("/public");
  if ((await page(program, `/${user}`, client)).includes(text)) where.push(`/${user}`);
  if ((await apiTexts(program, "/msgs?no=5")).includes(text)) where.push("/msgs");
  if ((await apiTexts(program, `/msgs/${user}?no=5`)).includes(text)) where.push(`/msgs/${user}`);
  return where;
}

const everywhere = (user: string) => ["/public", `/${user}`, "/msgs", `/msgs/${user}`];

/** A sample of one replica's /metrics: the metric's value on the line that holds every given label. */
async function sample(program: Program, metric: string, labels: string[]): Promise<number> {
  const text = await (await fetch(program.metrics)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${metric}{`) && labels.every((label) => l.includes(label)));
  return line ? Number(line.split(" ").pop()) : 0;
}

/** How many times a replica ran the query of that SQL file. */
function queryCount(program: Program, query: string): Promise<number> {
  return sample(program, "minitwit_db_query_duration_seconds_count", [`query="${query}"`]);
}

function cacheHits(program: Program, service: "web" | "api"): Promise<number> {
  return sample(program, "minitwit_timeline_cache_requests_total", [`service="${service}"`, 'result="hit"']);
}

describe("[fresh] two replicas on one PostgreSQL", () => {
  test("[fresh] unchanged pages come from the cache: the full query runs once for many requests", async () => {
    // A page is kept from its second request on.
    for (let i = 0; i < 2; i++) await page(b, "/public");
    for (let i = 0; i < 2; i++) await apiTexts(b, "/msgs?no=7");
    const before = await queryCount(b, "messages/public_timeline");
    const beforeApi = await queryCount(b, "messages/api_public");
    const [hits, apiHits] = [await cacheHits(b, "web"), await cacheHits(b, "api")];
    const first = await page(b, "/public");
    for (let i = 0; i < 20; i++) expect(await page(b, "/public")).toBe(first);
    for (let i = 0; i < 20; i++) await apiTexts(b, "/msgs?no=7");
    expect(await queryCount(b, "messages/public_timeline")).toBe(before);
    expect(await queryCount(b, "messages/api_public")).toBe(beforeApi);
    // And the metric operators watch says so.
    expect(await cacheHits(b, "web")).toBe(hits + 21);
    expect(await cacheHits(b, "api")).toBe(apiHits + 20);
  });

  test("[fresh] a message posted on one replica's web form is on the next page of the other, every view", async () => {
    const ada = new Client(a.web);
    expect((await ada.login("ada")).status).toBe(200);
    for (let i = 0; i < 10; i++) {
      // Both replicas' caches hold the pages as they were before the post.
      await shown(a, "ada", "-");
      await shown(b, "ada", "-");
      const text = `web post ${i} ${crypto.randomUUID()}`;
      const posted = await ada.post("/add_message", { text }, false);
      expect(posted.status).toBe(303);
      expect(await shown(b, "ada", text)).toEqual(everywhere("ada"));
      expect(await shown(a, "ada", text)).toEqual(everywhere("ada"));
    }
  });

  test("[fresh] a message posted through one replica's API is on the next page of the other, every view", async () => {
    for (let i = 0; i < 10; i++) {
      await shown(a, "bob", "-");
      const text = `api post ${i} ${crypto.randomUUID()}`;
      await apiPost(b, "bob", text);
      expect(await shown(a, "bob", text)).toEqual(everywhere("bob"));
    }
  });

  test("[fresh] signed in, the per-viewer parts stay right around the cached messages", async () => {
    const bob = new Client(b.web);
    expect((await bob.login("bob")).status).toBe(200);
    const text = `seen signed in ${crypto.randomUUID()}`;
    await apiPost(a, "ada", text);
    const publicPage = await page(b, "/public", bob);
    expect(publicPage).toContain(text);
    expect(publicPage).toContain("sign out [bob]");
    const adaPage = await page(b, "/ada", bob);
    expect(adaPage).toContain(text);
    expect(adaPage).toContain("You are not yet following this user.");
    expect((await bob.post("/ada/follow", {}, false)).status).toBe(303);
    const again = await page(b, "/ada", bob);
    expect(again).toContain("You are currently following this user.");
    expect(again).toContain(text);
    // The signed-out page from the same cache entry carries none of bob's parts.
    const anonymous = await page(b, "/ada");
    expect(anonymous).toContain(text);
    expect(anonymous).not.toContain("bob");
    expect(anonymous).toContain("sign in");
  });

  test("[fresh] flag and unflag (operator commands) hide and show a message at once on both replicas", async () => {
    const text = `to be flagged ${crypto.randomUUID()}`;
    await apiPost(a, "ada", text);
    for (const program of [a, b]) expect(await shown(program, "ada", text)).toEqual(everywhere("ada"));
    const env = {
      PATH: process.env.PATH ?? "",
      DATABASE_URL: store.url as string,
      MINITWIT_OPERATOR: "freshness test",
    };
    const repo = join(import.meta.dir, "..", "..");
    const listed = await run([process.execPath, "src/main.ts", "messages", "--user", "ada", "--limit", "1", "--json"], {
      cwd: repo,
      env,
    });
    const [newest] = JSON.parse(listed.stdout) as { id: number; text: string }[];
    expect(newest?.text).toBe(text);
    const flagged = await run([process.execPath, "src/main.ts", "flag", String(newest?.id)], { cwd: repo, env });
    expect(flagged.code).toBe(0);
    for (const program of [a, b]) expect(await shown(program, "ada", text)).toEqual([]);
    const unflagged = await run([process.execPath, "src/main.ts", "unflag", String(newest?.id)], { cwd: repo, env });
    expect(unflagged.code).toBe(0);
    for (const program of [a, b]) expect(await shown(program, "ada", text)).toEqual(everywhere("ada"));
  });

  test("[fresh] under 16 concurrent readers, every read shows every write acknowledged before it was sent", async () => {
    let stop = false;
    const reads = { public: 0, profiles: 0 };
    // Readers of /public, /msgs and both profiles on both ports: the profiles' checks are batched (one
    // statement for the names asked for meanwhile), /public's coalesced.
    const paths = [
      `${b.web}/public`,
      `${b.api}/msgs?no=5`,
      `${b.web}/ada`,
      `${b.web}/bob`,
      `${b.api}/msgs/ada?no=5`,
      `${b.api}/msgs/bob?no=5`,
    ];
    const readers = Array.from({ length: 16 }, async (_, i) => {
      const path = paths[i % paths.length] as string;
      while (!stop) {
        const reply = await fetch(path, { headers: AUTH });
        expect(reply.status).toBe(200);
        await reply.arrayBuffer();
        if (i % paths.length < 2) reads.public++;
        else reads.profiles++;
      }
    });
    const before = await queryCount(b, "messages/public_ids");
    const beforeProfiles = await queryCount(b, "users/pages_by_name");
    try {
      for (let i = 0; i < 100; i++) {
        const text = `under load ${i} ${crypto.randomUUID()}`;
        const author = i % 2 ? "ada" : "bob";
        await apiPost(a, author, text);
        const [web, profile, api, apiProfile] = await Promise.all([
          page(b, "/public"),
          page(b, `/${author}`),
          apiTexts(b, "/msgs?no=5"),
          apiTexts(b, `/msgs/${author}?no=5`),
        ]);
        expect(web).toContain(text);
        expect(profile).toContain(text);
        expect(api).toContain(text);
        expect(apiProfile).toContain(text);
      }
    } finally {
      stop = true;
      await Promise.all(readers);
    }
    // The readers really ran beside the writes, and shared their queries.
    const validations = (await queryCount(b, "messages/public_ids")) - before;
    const profileChecks = (await queryCount(b, "users/pages_by_name")) - beforeProfiles;
    console.error(
      `[fresh] ${reads.public} concurrent reads of /public and /msgs, ${validations} ids queries; ` +
        `${reads.profiles} of profiles, ${profileChecks} profile queries`,
    );
    expect(reads.public).toBeGreaterThan(200);
    expect(reads.profiles).toBeGreaterThan(200);
    expect(validations).toBeLessThan(reads.public);
    expect(profileChecks).toBeLessThan(reads.profiles);
  });

  test("[fresh] a kept page goes compressed to clients that accept gzip, the same bytes to those that do not", async () => {
    // Kept from the second request on; the third comes from what was kept.
    for (let i = 0; i < 3; i++) await page(b, "/ada");
    for (const path of ["/public", "/ada"]) {
      const plain = await fetch(`${b.web}${path}`, { headers: { "accept-encoding": "identity" }, decompress: false });
      expect(plain.headers.get("content-encoding")).toBeNull();
      expect(plain.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(plain.headers.get("vary")).toBe("Accept-Encoding");
      const bytes = new Uint8Array(await plain.arrayBuffer());
      const zipped = await fetch(`${b.web}${path}`, {
        headers: { "accept-encoding": "br;q=1.0, gzip;q=0.8" },
        decompress: false,
      });
      expect(zipped.headers.get("content-encoding")).toBe("gzip");
      expect(zipped.headers.get("vary")).toBe("Accept-Encoding");
      const compressed = new Uint8Array(await zipped.arrayBuffer());
      expect(compressed.byteLength).toBeLessThan(bytes.byteLength / 2);
      expect(Bun.gunzipSync(compressed)).toEqual(bytes);
      // gzip;q=0 refuses it.
      const refused = await fetch(`${b.web}${path}`, { headers: { "accept-encoding": "gzip;q=0" }, decompress: false });
      expect(refused.headers.get("content-encoding")).toBeNull();
      expect(new Uint8Array(await refused.arrayBuffer())).toEqual(bytes);
      expect(new TextDecoder().decode(bytes)).toStartWith("<!doctype html>");
    }
  });
});
