// The ceilings the benchmark's rows are set against: the pages' SQL driven by pgbench, the same bytes
// served by a bare server, a bare Elysia server, and pgbench's single-row insert.
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PAGE_SIZE } from "../src/data/messages.ts";
import { queries } from "../src/sql.ts";
import type { SavedPage } from "./bare-pages.ts";
import { pgbench, pgbenchStatement, type Result, wrk } from "./load.ts";
import { type SeedInfo, samples } from "./server.ts";

/** At most this many different /USERNAME pages are saved for their bare-serving ceiling. */
const USER_PAGES = 200;

/** pgbench with the program's own statements and parameters drawn like the HTTP runs'. */
export function sqlCeilings(url: string, info: SeedInfo, c: number, seconds: number, suffix = "") {
  const s = samples(info);
  const limit = `\\set lim ${PAGE_SIZE + 1}\n`;
  const run = (name: string, script: string) => pgbench({ name: name + suffix, url, clients: c, seconds, script });
  return {
    public: () =>
      run("pgbench: messages/public_timeline", limit + pgbenchStatement(queries["messages/public_timeline"], [":lim"])),
    user: () =>
      run(
        "pgbench: users/by_name + messages/user_timeline",
        `${limit}\\set k random(0, ${s.users.count - 1})\n\\set i 1 + :k * ${s.users.stride}\n` +
          `\\set uid :i + ${info.first_user - 1}\n` +
          pgbenchStatement(queries["users/by_name"], ["'user' || :i"]) +
          pgbenchStatement(queries["messages/user_timeline"], [":lim", ":uid"]),
      ),
    home: () =>
      run(
        "pgbench: messages/home_timeline",
        `${limit}\\set k random(0, ${s.home.count - 1})\n\\set uid ${info.first_user} + :k * ${s.home.stride}\n` +
          pgbenchStatement(queries["messages/home_timeline"], [":lim", ":uid"]),
      ),
    insert: () =>
      run(
        "pgbench: messages/insert (single row)",
        `\\set aid random(${info.first_user}, ${info.first_user + info.users - 1})\n` +
          pgbenchStatement(queries["messages/insert"], [":aid", ":aid"]),
      ),
  };
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await Bun.sleep(10);
  }
  throw new Error(`${url} did not answer`);
}

/** A bare server from bench/ on `port` (more arguments after it), stopped after `run`. */
async function withBareServer<T>(script: string, args: string[], probe: string, run: () => Promise<T>): Promise<T> {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, script), ...args], { stdout: "ignore" });
  try {
    await waitFor(probe);
    return await run();
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
  }
}

/** Bare Elysia answering "ok", with keep-alive and with `Connection: close` (as the simulator connects). */
export function bareElysia(port: number, c: number, seconds: number): Promise<{ keepAlive: Result; close: Result }> {
  const url = `http://127.0.0.1:${port}`;
  return withBareServer("bare.ts", [String(port)], url, async () => {
    const keepAlive = await wrk({ name: "bare Elysia, keep-alive", url, connections: c, seconds, path: '"/"' });
    const close = await wrk({
      name: "bare Elysia, Connection: close",
      url,
      connections: c,
      seconds,
      path: '"/"',
      headers: { Connection: "close" },
    });
    return { keepAlive, close };
  });
}

/** The program's answer to a signed-out GET of `path`, as wrk asks for it (no cookie, no compression). */
async function savePage(web: string, path: string): Promise<SavedPage> {
  const response = await fetch(web + path, {
    redirect: "manual",
    decompress: false,
    headers: { "Accept-Encoding": "identity" },
  });
  const body = Buffer.from(await response.arrayBuffer());
  if (response.status !== 200)
    throw new Error(`GET ${path} answered ${response.status}: ${body.toString().slice(0, 200)}`);
  // The server writes these itself for every answer.
  const own = new Set(["content-length", "date", "connection", "keep-alive", "transfer-encoding"]);
  const headers: [string, string][] = [];
  response.headers.forEach((value, name) => {
    if (!own.has(name)) headers.push([name, value]);
  });
  return { path, status: response.status, headers, body: body.toString("base64") };
}

/**
 * The bare-serving ceiling of a page kind: its answers fetched from the program (for /USERNAME up to 200
 * users drawn as wrk draws them), then served as the same bytes by bench/bare-pages.ts and driven by wrk
 * with the same connections and the saved paths in random order.
 */
export async function bareServing(
  kind: "public" | "user",
  options: { web: string; info: SeedInfo; port: number; connections: number; seconds: number },
): Promise<Result> {
  let paths = ["/public"];
  if (kind === "user") {
    const { count, stride } = samples(options.info).users;
    const ks = new Set<number>();
    while (ks.size < Math.min(count, USER_PAGES)) ks.add(Math.floor(Math.random() * count));
    paths = [...ks].map((k) => `/user${1 + k * stride}`);
  }
  const pages: SavedPage[] = [];
  for (const path of paths) pages.push(await savePage(options.web, path));
  const file = join(tmpdir(), `minitwit-bench-pages-${process.pid}-${kind}.json`);
  writeFileSync(file, JSON.stringify(pages));
  const bytes = pages.reduce((sum, p) => sum + Buffer.byteLength(p.body, "base64"), 0) / pages.length;
  const what = pages.length === 1 ? "the same page" : `the same ${pages.length} pages`;
  const url = `http://127.0.0.1:${options.port}`;
  try {
    return await withBareServer("bare-pages.ts", [String(options.port), file], url + paths[0], () =>
      wrk({
        name: `bare Bun.serve, ${what} (${(bytes / 1024).toFixed(1)} KB${pages.length === 1 ? "" : " mean"})`,
        url,
        connections: options.connections,
        seconds: options.seconds,
        paths,
      }),
    );
  } finally {
    rmSync(file, { force: true });
  }
}
