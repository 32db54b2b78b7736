// The browser test: Debian's Chromium driven by Playwright through the real pages of a running program,
// with every request to another host blocked (so no request leaves loopback), axe-core's accessibility
// check on every page and state, the keyboard alone, a phone's width, /docs and both kinds of avatars.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { buildApps } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { type Listening, listenApps, startApp, type TestApp } from "../helpers.ts";
import { axeFindings, type Finding, isSerious } from "./axe.ts";
import { launchChromium } from "./chromium.ts";

const RESULTS = process.env.SCREENSHOT_DIR ?? "test-results";
const SCREENSHOT = process.env.SCREENSHOT_PATH ?? join(RESULTS, "browser.png");
const PHONE_SCREENSHOT = join(RESULTS, "phone.png");
/** The README's picture: made from fixed data, so it changes only when the page's look does. */
const README_SCREENSHOT = join(import.meta.dir, "..", "..", "docs", "public-timeline.png");

let app: TestApp;
/** The same database served with AVATARS=gravatar. */
let gravatar: Listening;
let browser: Browser;
/** Every axe finding, and every page state checked, over the whole file. */
const findings: Finding[] = [];
const states: string[] = [];
/** Requests to any host but loopback, over the whole file: each was refused. */
const blocked: string[] = [];

beforeAll(async () => {
  mkdirSync(RESULTS, { recursive: true });
  app = await startApp();
  gravatar = listenApps(buildApps({ config: loadConfig({ LOG_LEVEL: "silent", AVATARS: "gravatar" }), db: app.db }));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gravatar?.stop();
  await app?.stop();
});

/** A browser context where only loopback answers: a request to any other host is refused and recorded. */
async function offlineContext(options: { width?: number; height?: number } = {}): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 800, height: options.height ?? 900 },
  });
  await context.route("**/*", (route) => {
    const host = new URL(route.request().url()).hostname;
    if (host === "127.0.0.1" || host === "localhost" || host === "[::1]") return route.continue();
    blocked.push(route.request().url());
    return route.abort("blockedbyclient");
  });
  return context;
}

/** Clicks something that loads a new page (a link or a form post) and waits for that page. */
async function navigate(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(selector)]);
}

/** Runs the accessibility check on the page as it is now. */
async function check(page: Page, state: string): Promise<void> {
  states.push(state);
  findings.push(...(await axeFindings(page, state)));
}

/** Every avatar on the page has loaded (a broken image has no natural width). */
async function avatarsLoaded(page: Page): Promise<boolean[]> {
  return page.$$eval("img.avatar", (images) => images.map((i) => (i as HTMLImageElement).naturalWidth === 48));
}

test("[browser] the public timeline for the README, from fixed data, avatars drawn offline", async () => {
  const context = await offlineContext({ height: 760 });
  const page = await context.newPage();
  await page.goto(`${app.web}/public`);
  expect(await page.textContent(".messages")).toContain("There's no message so far.");
  await check(page, "public timeline, empty, signed out");

  await app.db.exec(
    `INSERT INTO users (username, email, pw_hash) VALUES
       ('Ada Lovelace', 'ada@example.com', 'x'), ('Alan Turing', 'alan@example.com', 'x'),
       ('Katherine Johnson', 'katherine@example.com', 'x')`,
  );
  await app.db.exec(
    `INSERT INTO messages (author_id, text, pub_date)
     SELECT u.id, 'note ' || g, timestamptz '2026-01-01T00:00:00Z' + g * interval '1 minute'
     FROM users u, generate_series(1, 40) g WHERE u.username = 'Ada Lovelace'`,
  );
  await app.db.exec(
    `INSERT INTO messages (author_id, text, pub_date)
     SELECT u.id, m.text, timestamptz '2026-01-01T01:00:00Z' + m.minute * interval '1 minute'
     FROM users u JOIN (VALUES
       ('Alan Turing', 'We can only see a short distance ahead, but we can see plenty there that needs to be done.', 1),
       ('Katherine Johnson', 'Like what you do, and then you will do your best.', 2),
       ('Alan Turing', 'Sometimes it is the people no one imagines anything of who do the things no one can imagine.', 3)
     ) AS m(name, text, minute) ON u.username = m.name`,
  );
  await page.goto(`${app.web}/public`);
  expect(await page.locator(".messages li").count()).toBe(30);
  expect(await avatarsLoaded(page)).toEqual(Array(30).fill(true));
  await page.screenshot({ path: README_SCREENSHOT });
  await check(page, "public timeline, a full page, signed out");
  await navigate(page, "a.older");
  await check(page, "public timeline, older page, signed out");
  await page.goto(`${app.web}/Ada%20Lovelace`);
  await check(page, "a user's timeline, signed out");
  await page.goto(`${app.web}/no%20such%20user`);
  expect(await page.textContent("h2")).toContain("404");
  await check(page, "404 page");
  await page.goto(`${app.web}/Ada%20Lovelace/follow`);
  expect(await page.textContent("h2")).toContain("401");
  await check(page, "401 page");
  await context.close();
}, 120_000);

test("[browser] sign up, sign in, post, follow, page back, unfollow, sign out", async () => {
  const context = await offlineContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  // A CSP violation shows as a console error; the 404 page's own status does too, and is expected.
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(m.text());
  });

  await page.goto(`${app.web}/`);
  expect(page.url()).toBe(`${app.web}/public`);
  await navigate(page, "text=sign up");
  await check(page, "sign up");
  await navigate(page, "input[type=submit]");
  expect(await page.textContent(".error")).toContain("You have to enter a username");
  await check(page, "sign up, error");
  await page.fill("#username", "Grace Hopper");
  await page.fill("#email", "grace@example.com");
  await page.fill("#password", "cobol");
  await page.fill("#password2", "cobol");
  await navigate(page, "input[type=submit]");
  expect(page.url()).toBe(`${app.web}/login`);
  expect(await page.textContent(".flashes")).toContain("You were successfully registered and can login now");
  await check(page, "sign in, flash");

  await page.fill("#username", "Grace Hopper");
  await page.fill("#password", "wrong");
  await navigate(page, "input[type=submit]");
  expect(await page.textContent(".error")).toContain("Invalid password");
  await check(page, "sign in, error");
  await page.fill("#username", "Grace Hopper");
  await page.fill("#password", "cobol");
  await navigate(page, "input[type=submit]");
  expect(page.url()).toBe(`${app.web}/`);
  expect(await page.textContent(".flashes")).toContain("You were logged in");
  expect(await page.textContent(".twitbox h3")).toBe("What's on your mind Grace Hopper?");
  expect(await page.textContent(".messages")).toContain("There's no message so far.");
  await check(page, "my timeline, empty, flash");

  await page.fill("input[name=text]", "Hello <b>world</b>");
  await navigate(page, ".twitbox input[type=submit]");
  expect(await page.textContent(".flashes")).toContain("Your message was recorded");
  const first = page.locator(".messages li").first();
  expect(await first.textContent()).toContain("Hello <b>world</b>");
  expect(await first.locator("b").count()).toBe(0);
  await check(page, "my timeline, a message, flash");

  await navigate(page, ".messages strong a");
  expect(await page.textContent(".followstatus")).toContain("This is you!");
  await check(page, "own timeline");

  await page.goto(`${app.web}/Ada%20Lovelace`);
  expect(await page.textContent(".followstatus")).toContain("You are not yet following this user.");
  await check(page, "a user's timeline, not following");
  await navigate(page, "button.follow");
  expect(page.url()).toBe(`${app.web}/Ada%20Lovelace`);
  expect(await page.textContent(".flashes")).toContain('You are now following "Ada Lovelace"');
  await check(page, "a user's timeline, following, flash");

  await navigate(page, "text=my timeline");
  expect(await page.locator(".messages li").count()).toBe(30);
  expect(await page.textContent(".messages")).toContain("note 40");
  await check(page, "my timeline, a full page");
  await navigate(page, "a.older");
  expect(page.url()).toContain("?before=");
  const older = await page.textContent(".messages");
  expect(older).toContain("note 1 ");
  expect(older).not.toContain("note 40");
  await check(page, "my timeline, older page");
  await page.screenshot({ path: SCREENSHOT, fullPage: true });

  await page.goto(`${app.web}/no%20such%20user`);
  await check(page, "404 page, signed in");

  await page.goto(`${app.web}/Ada%20Lovelace`);
  await navigate(page, "button.unfollow");
  expect(await page.textContent(".flashes")).toContain('You are no longer following "Ada Lovelace"');
  await navigate(page, "text=my timeline");
  expect(await page.textContent(".messages")).not.toContain("note 40");

  await navigate(page, "text=sign out");
  expect(page.url()).toBe(`${app.web}/public`);
  expect(await page.textContent(".flashes")).toContain("You were logged out");
  expect(await page.textContent(".navigation")).toContain("sign in");
  await check(page, "public timeline, signed out, flash");
  expect(await avatarsLoaded(page)).not.toContain(false);
  expect(errors).toEqual([]);
  await context.close();
}, 120_000);

/** The focused element and whether its focus ring shows (an outline at least 2 px wide). */
function focused(page: Page) {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    const style = el ? getComputedStyle(el) : undefined;
    return {
      tag: el?.tagName.toLowerCase() ?? "",
      name: el?.getAttribute("name") ?? el?.textContent?.trim() ?? "",
      visible: !!style && style.outlineStyle !== "none" && Number.parseFloat(style.outlineWidth) >= 2,
    };
  });
}

/** Presses Tab until `match` is focused (at most 30 times); every focus on the way must show. */
async function tabTo(page: Page, match: (f: { tag: string; name: string }) => boolean): Promise<void> {
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press("Tab");
    const now = await focused(page);
    expect(now.visible, `focus ring on <${now.tag}> ${now.name}`).toBe(true);
    if (match(now)) return;
  }
  throw new Error("never reached the element by Tab");
}

test("[browser] the keyboard alone signs in, posts and follows, with the focus always visible", async () => {
  const context = await offlineContext();
  const page = await context.newPage();
  await page.goto(`${app.web}/public`);
  await tabTo(page, (f) => f.name === "sign in");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  expect(page.url()).toBe(`${app.web}/login`);
  await tabTo(page, (f) => f.name === "username");
  await page.keyboard.type("Grace Hopper");
  await tabTo(page, (f) => f.name === "password");
  await page.keyboard.type("cobol");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  expect(page.url()).toBe(`${app.web}/`);
  expect(await page.textContent(".flashes")).toContain("You were logged in");

  await tabTo(page, (f) => f.name === "text");
  await page.keyboard.type("typed without a mouse");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  expect(await page.textContent(".flashes")).toContain("Your message was recorded");
  expect(await page.textContent(".messages li")).toContain("typed without a mouse");

  await page.goto(`${app.web}/Katherine%20Johnson`);
  await tabTo(page, (f) => f.tag === "button");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  expect(await page.textContent(".flashes")).toContain('You are now following "Katherine Johnson"');
  await context.close();
}, 120_000);

test("[browser] at a phone's width nothing scrolls sideways and the controls stay in view", async () => {
  const context = await offlineContext({ width: 360, height: 740 });
  const page = await context.newPage();
  await page.goto(`${app.web}/login`);
  await page.fill("#username", "Grace Hopper");
  await page.fill("#password", "cobol");
  await navigate(page, "input[type=submit]");
  for (const path of ["/", "/public", "/Ada%20Lovelace", "/login", "/register"]) {
    await page.goto(`${app.web}${path}`);
    const { scroll, width } = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      width: window.innerWidth,
    }));
    expect(scroll, path).toBeLessThanOrEqual(width);
  }
  await page.goto(`${app.web}/`);
  const box = await page.locator(".twitbox input[type=submit]").boundingBox();
  expect((box?.x ?? 999) + (box?.width ?? 0)).toBeLessThanOrEqual(360);
  await check(page, "my timeline at a phone's width");
  await page.screenshot({ path: PHONE_SCREENSHOT });
  await context.close();
}, 120_000);

test("[browser] /docs lists the API's operations with nothing from the internet", async () => {
  const context = await offlineContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  await page.goto(`${app.api}/docs`);
  await page.waitForSelector(".opblock-summary-path", { timeout: 30_000 });
  const operations = await page.$$eval(".opblock-summary", (nodes) =>
    nodes.map(
      (n) =>
        `${n.querySelector(".opblock-summary-method")?.textContent} ${n.querySelector(".opblock-summary-path")?.textContent?.replace(/\u200b/g, "")}`,
    ),
  );
  expect(operations).toEqual(
    expect.arrayContaining([
      "GET /latest",
      "POST /register",
      "GET /msgs",
      "GET /msgs/{username}",
      "POST /msgs/{username}",
      "GET /fllws/{username}",
      "POST /fllws/{username}",
    ]),
  );
  await page.screenshot({ path: join(RESULTS, "docs.png") });
  expect(await page.textContent(".info .title")).toContain("MiniTwit simulator API");
  expect(errors).toEqual([]);
  await context.close();
}, 120_000);

test("[browser] with AVATARS=gravatar and Gravatar out of reach, the local avatar shows instead", async () => {
  const context = await offlineContext();
  const page = await context.newPage();
  const before = blocked.length;
  await page.goto(`${gravatar.web}/Alan%20Turing`);
  await page.waitForLoadState("networkidle");
  const requested = blocked.slice(before);
  expect(requested.length).toBeGreaterThan(0);
  expect(requested.every((url) => url.startsWith("https://www.gravatar.com/avatar/"))).toBe(true);
  blocked.splice(before);
  expect(await avatarsLoaded(page)).toEqual([true, true]);
  // Pixel for pixel what the page shows without Gravatar: no broken-image icon over the local avatar.
  const withGravatar = await page.locator(".messages li span.avatar").first().screenshot();
  await page.goto(`${app.web}/Alan%20Turing`);
  const local = await page.locator(".messages li img.avatar").first().screenshot();
  expect(withGravatar.equals(local)).toBe(true);
  await context.close();
}, 120_000);

test("[browser] no request left loopback, and no page or state has a serious or critical accessibility finding", async () => {
  await Bun.write(join(RESULTS, "axe.json"), JSON.stringify({ states, findings }, null, 2));
  expect(blocked).toEqual([]);
  expect(states.length).toBeGreaterThanOrEqual(20);
  const serious = findings.filter(isSerious);
  expect(serious).toEqual([]);
  const minor = findings.map((f) => `${f.impact} ${f.rule} (${f.state}): ${f.targets.join(", ")}`);
  if (minor.length) console.error(`minor accessibility findings:\n${minor.join("\n")}`);
});
