// The browser test: Debian's Chromium driven by Playwright through the real pages of a running program.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { startApp, type TestApp } from "../helpers.ts";
import { launchChromium } from "./chromium.ts";

const SCREENSHOT = process.env.SCREENSHOT_PATH ?? join("test-results", "browser.png");

let app: TestApp;

/** Clicks something that loads a new page (a link or a form post) and waits for that page. */
async function navigate(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(selector)]);
}
let browser: Browser;

beforeAll(async () => {
  app = await startApp();
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

test("[browser] sign up, sign in, post, follow, page back, unfollow, sign out", async () => {
  // Another user with more than a page of messages to follow.
  await app.db.exec("INSERT INTO users (username, email, pw_hash) VALUES ('Ada Lovelace', 'ada@example.com', 'x')");
  await app.db.exec(
    `INSERT INTO messages (author_id, text, pub_date)
     SELECT u.id, 'note ' || g, timestamptz '2026-01-01T00:00:00Z' + g * interval '1 minute'
     FROM users u, generate_series(1, 40) g WHERE u.username = 'Ada Lovelace'`,
  );
  const context = await browser.newContext({ viewport: { width: 800, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));

  await page.goto(`${app.web}/`);
  expect(page.url()).toBe(`${app.web}/public`);
  await navigate(page, "text=sign up");
  await page.fill("#username", "Grace Hopper");
  await page.fill("#email", "grace@example.com");
  await page.fill("#password", "cobol");
  await page.fill("#password2", "cobol");
  await navigate(page, "input[type=submit]");
  expect(page.url()).toBe(`${app.web}/login`);
  expect(await page.textContent(".flashes")).toContain("You were successfully registered and can login now");

  await page.fill("#username", "Grace Hopper");
  await page.fill("#password", "cobol");
  await navigate(page, "input[type=submit]");
  expect(page.url()).toBe(`${app.web}/`);
  expect(await page.textContent(".flashes")).toContain("You were logged in");
  expect(await page.textContent(".twitbox h3")).toBe("What's on your mind Grace Hopper?");

  await page.fill("input[name=text]", "Hello <b>world</b>");
  await navigate(page, ".twitbox input[type=submit]");
  expect(await page.textContent(".flashes")).toContain("Your message was recorded");
  const first = page.locator(".messages li").first();
  expect(await first.textContent()).toContain("Hello <b>world</b>");
  expect(await first.locator("b").count()).toBe(0);

  await page.goto(`${app.web}/Ada%20Lovelace`);
  expect(await page.textContent(".followstatus")).toContain("You are not yet following this user.");
  await navigate(page, "button.follow");
  expect(page.url()).toBe(`${app.web}/Ada%20Lovelace`);
  expect(await page.textContent(".flashes")).toContain('You are now following "Ada Lovelace"');

  await navigate(page, "text=my timeline");
  expect(await page.locator(".messages li").count()).toBe(30);
  expect(await page.textContent(".messages")).toContain("note 40");
  await navigate(page, "a.older");
  expect(page.url()).toContain("?before=");
  const older = await page.textContent(".messages");
  expect(older).toContain("note 1 ");
  expect(older).not.toContain("note 40");
  await page.screenshot({ path: SCREENSHOT, fullPage: true });

  await page.goto(`${app.web}/Ada%20Lovelace`);
  await navigate(page, "button.unfollow");
  expect(await page.textContent(".flashes")).toContain('You are no longer following "Ada Lovelace"');
  await navigate(page, "text=my timeline");
  expect(await page.textContent(".messages")).not.toContain("note 40");

  await navigate(page, "text=sign out");
  expect(page.url()).toBe(`${app.web}/public`);
  expect(await page.textContent(".flashes")).toContain("You were logged out");
  expect(await page.textContent(".navigation")).toContain("sign in");
  expect(errors).toEqual([]);
  await context.close();
}, 60_000);
