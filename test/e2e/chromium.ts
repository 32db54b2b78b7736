// Debian's Chromium for the browser tests, started with the flags this machine needs.
import { type Browser, chromium } from "playwright-core";

/** Headless Chromium; Playwright gives every launch a fresh, empty user-data-dir of its own. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      ...extraArgs,
    ],
  });
}
