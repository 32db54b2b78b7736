// The compiled executable, alone in an empty folder, serves the API reference page's assets and the
// avatars itself: nothing of them is read from node_modules or the internet.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { identicon } from "../../src/web/avatar.ts";
import { freePort } from "../ports.ts";

const ROOT = resolve(import.meta.dir, "../..");
const BUILT = join(ROOT, "dist/minitwit");
const folder = mkdtempSync(join(tmpdir(), "minitwit-offline-"));
const web = `http://127.0.0.1:${freePort()}`;
const api = `http://127.0.0.1:${freePort()}`;
let proc: Bun.Subprocess<"ignore", "ignore", "pipe"> | undefined;

beforeAll(async () => {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` first`);
  const executable = join(folder, "minitwit");
  copyFileSync(BUILT, executable);
  chmodSync(executable, 0o755);
  proc = Bun.spawn([executable, "serve"], {
    cwd: folder,
    env: {
      HOME: folder,
      HOST: "127.0.0.1",
      PORT: new URL(web).port,
      API_PORT: new URL(api).port,
      METRICS_PORT: String(freePort()),
      DATA_DIR: "memory://",
      LOG_LEVEL: "warn",
    },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`${api}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await Bun.sleep(250);
  }
  throw new Error(`the executable did not start: ${await new Response(proc.stderr).text()}`);
}, 70_000);

afterAll(async () => {
  proc?.kill();
  await proc?.exited;
  rmSync(folder, { recursive: true, force: true });
});

test("[executable] /docs and its assets come from inside the executable, byte for byte the package's", async () => {
  const page = await fetch(`${api}/docs`);
  expect(page.status).toBe(200);
  expect(page.headers.get("content-type")).toContain("text/html");
  const html = await page.text();
  expect(html).not.toContain("https://");
  for (const [name, type] of [
    ["swagger-ui-bundle.js", "text/javascript"],
    ["swagger-ui.css", "text/css"],
  ] as const) {
    const r = await fetch(`${api}/docs/${name}`);
    expect(r.status, name).toBe(200);
    expect(r.headers.get("content-type"), name).toContain(type);
    const served = Buffer.from(await r.arrayBuffer());
    expect(served.equals(readFileSync(join(ROOT, "node_modules/swagger-ui-dist", name))), name).toBe(true);
  }
  const start = await fetch(`${api}/docs/start.js`);
  expect(start.status).toBe(200);
  expect(await start.text()).toContain('url: "/openapi.json"');
});

test("[executable] avatars are drawn by the executable", async () => {
  const key = "0123456789abcdef0123456789abcdef";
  const r = await fetch(`${web}/static/avatars/${key}.svg`);
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toBe("image/svg+xml");
  expect(await r.text()).toBe(identicon(key));
});
