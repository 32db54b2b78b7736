import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildApps } from "../../src/app.ts";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { AVATAR_CACHE, avatarKey, avatarPath, identicon } from "../../src/web/avatar.ts";
import { Client, type Listening, listenApps, startApp, type TestApp } from "../helpers.ts";

let app: TestApp;
// The same database served a second time with AVATARS=gravatar.
let gravatar: Listening;
beforeAll(async () => {
  app = await startApp();
  const config = loadConfig({ LOG_LEVEL: "silent", AVATARS: "gravatar" });
  gravatar = listenApps(buildApps({ config, db: app.db }));
  const c = new Client(app.web);
  await c.register("Ava Tar", "p");
  await c.login("Ava Tar", "p");
  await c.post("/add_message", { text: "a face of my own" });
}, 60_000);
afterAll(async () => {
  await gravatar?.stop();
  await app?.stop();
});

/** The cells an identicon fills, as "x,y" strings. */
function cells(svg: string): string[] {
  const d = /d="([^"]+)"/.exec(svg)?.[1] ?? "";
  return [...d.matchAll(/M(\d) (\d)/g)].map((m) => `${m[1]},${m[2]}`);
}

describe("[web] avatars", () => {
  test("[web] an identicon is deterministic, mirrored, and differs between keys", () => {
    const key = avatarKey("Roger Histand");
    expect(key).toBe(new Bun.CryptoHasher("md5").update("Roger Histand").digest("hex"));
    const svg = identicon(key);
    expect(identicon(key)).toBe(svg);
    expect(svg).toStartWith('<svg xmlns="http://www.w3.org/2000/svg"');
    const filled = cells(svg);
    expect(filled.length).toBeGreaterThan(0);
    for (const cell of filled) {
      const [x, y] = cell.split(",").map(Number) as [number, number];
      expect(filled).toContain(`${4 - x},${y}`);
    }
    const others = ["a", "b", "c", "d", "e"].map((n) => identicon(avatarKey(n)));
    expect(new Set([svg, ...others]).size).toBe(6);
    expect(avatarPath("Roger Histand")).toBe(`/static/avatars/${key}.svg`);
  });

  test("[web] GET /static/avatars/<key>.svg answers the SVG, cached for a year; other names 404", async () => {
    const key = avatarKey("Ava Tar");
    const r = await fetch(`${app.web}/static/avatars/${key}.svg`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("image/svg+xml");
    expect(r.headers.get("cache-control")).toBe(AVATAR_CACHE);
    expect(await r.text()).toBe(identicon(key));
    for (const bad of ["x.svg", `${key}.png`, `${key.toUpperCase()}.svg`, `../${key}.svg`]) {
      const miss = await fetch(`${app.web}/static/avatars/${encodeURIComponent(bad)}`);
      expect(miss.status, bad).toBe(404);
      await miss.arrayBuffer();
    }
  });

  test("[web] by default pages show only the program's avatars and the CSP allows images from this site only", async () => {
    const r = await fetch(`${app.web}/public`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-security-policy")).toContain("img-src 'self';");
    const html = await r.text();
    expect(html).toContain(`src="${avatarPath("Ava Tar")}"`);
    expect(html).not.toContain("gravatar");
  });

  test("[web] AVATARS=gravatar shows Gravatar over the local avatar, and the CSP allows Gravatar", async () => {
    const r = await fetch(`${gravatar.web}/public`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-security-policy")).toContain("img-src 'self' https://www.gravatar.com;");
    const html = await r.text();
    const hash = new Bun.CryptoHasher("md5").update("ava.tar@example.com").digest("hex");
    expect(html).toContain(
      `<span class="avatar"><img class="avatar" src="${avatarPath("Ava Tar")}" alt="" width="48" height="48"/>` +
        `<img src="https://www.gravatar.com/avatar/${hash}?d=identicon&amp;s=48" alt=""/></span>`,
    );
  });

  test("[config] AVATARS is local or gravatar", () => {
    expect(loadConfig({}).avatars).toBe("local");
    expect(loadConfig({ AVATARS: "gravatar" }).avatars).toBe("gravatar");
    expect(() => loadConfig({ AVATARS: "libravatar" })).toThrow(ConfigError);
  });
});
