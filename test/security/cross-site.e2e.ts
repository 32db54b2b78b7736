// Cross-site request forgery tried for real: Chromium, signed in to MiniTwit, visits an attacker's
// pages on another site (evil.test) and on a sibling origin (same host, other port).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../e2e/chromium.ts";
import { Client, startApp, type TestApp } from "../helpers.ts";

const ATTACKER_PORT = 6420;

let app: TestApp;
let browser: Browser;
let attacker: Server<undefined>;

/** The attacker's pages: each makes the victim's browser act on MiniTwit on loading. */
function attackerPage(path: string): string {
  const target = app.web;
  if (path === "/post") {
    return `<form method="post" action="${target}/add_message"><input name="text" value="forged message"></form>
      <script>document.forms[0].submit()</script>`;
  }
  if (path === "/follow-get") return `<script>location = "${target}/victim/follow"</script>`;
  if (path === "/follow-post") {
    return `<form method="post" action="${target}/victim/follow"></form><script>document.forms[0].submit()</script>`;
  }
  return "";
}

beforeAll(async () => {
  app = await startApp();
  await new Client(app.web).register("victim");
  await new Client(app.web).register("target");
  attacker = Bun.serve({
    hostname: "127.0.0.1",
    port: ATTACKER_PORT,
    fetch: (request) =>
      new Response(`<!doctype html><title>cute cats</title>${attackerPage(new URL(request.url).pathname)}`, {
        headers: { "content-type": "text/html" },
      }),
  });
  browser = await launchChromium([
    // evil.test is another site on this machine.
    "--host-resolver-rules=MAP evil.test 127.0.0.1",
  ]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  attacker?.stop(true);
  await app?.stop();
});

/** Opens the attacker's page and returns MiniTwit's answer to the request it made the browser send. */
async function visit(page: Page, url: string) {
  const answer = page.waitForResponse((r) => r.url().startsWith(app.web));
  await page.goto(url);
  const response = await answer;
  await page.waitForLoadState("load");
  return { status: response.status(), text: await page.content() };
}

describe("[browser] cross-site request forgery", () => {
  test("[browser] forged posts and follows from another site and a sibling origin get 403 and change nothing", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${app.web}/login`);
    await page.fill("#username", "target");
    await page.fill("#password", "secret");
    await Promise.all([page.waitForNavigation(), page.click("input[type=submit]")]);
    expect(await page.textContent(".flashes")).toContain("You were logged in");

    const attempts = [
      // Another site: SameSite=Lax withholds the cookie on the POST, but not on a top-level GET.
      `http://evil.test:${ATTACKER_PORT}/post`,
      `http://evil.test:${ATTACKER_PORT}/follow-get`,
      `http://evil.test:${ATTACKER_PORT}/follow-post`,
      // The same site (127.0.0.1), another origin: SameSite sends the cookie every time.
      `http://127.0.0.1:${ATTACKER_PORT}/post`,
      `http://127.0.0.1:${ATTACKER_PORT}/follow-get`,
      `http://127.0.0.1:${ATTACKER_PORT}/follow-post`,
    ];
    for (const url of attempts) {
      const { status, text } = await visit(page, url);
      expect(status, url).toBe(403);
      expect(text, url).toContain("Cross-site request refused");
    }

    await page.goto(`${app.web}/`);
    expect(await page.textContent(".twitbox h3")).toBe("What's on your mind target?");
    expect(await page.textContent(".messages")).not.toContain("forged message");
    await page.goto(`${app.web}/victim`);
    expect(await page.textContent(".followstatus")).toContain("You are not yet following this user.");

    // The site's own controls still work in the same browser.
    await Promise.all([page.waitForNavigation(), page.click("button.follow")]);
    expect(await page.textContent(".flashes")).toContain('You are now following "victim"');
    await context.close();
  }, 60_000);
});
