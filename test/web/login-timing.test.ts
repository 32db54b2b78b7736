// Login time does not tell who exists: an unknown name costs the same Argon2id verification as a known
// name with a wrong password. Measured through the real web form, by the difference of medians.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { HASH } from "../../src/data/users.ts";
import { Client, startApp, type TestApp } from "../helpers.ts";

const PAIRS = 41;

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
  expect((await new Client(app.web).register("timed", "right")).status).toBe(200);
}, 60_000);
afterAll(() => app.stop());

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

let address = 0;
/** One failed sign-in, timed; each from another forwarded address, so that the throttle stays out. */
async function timedLogin(username: string): Promise<number> {
  address++;
  const start = performance.now();
  const reply = await fetch(`${app.web}/login`, {
    method: "POST",
    body: new URLSearchParams({ username, password: "wrong" }),
    headers: { "x-forwarded-for": `198.18.${address >> 8}.${address & 255}` },
  });
  const text = await reply.text();
  const elapsed = performance.now() - start;
  expect(reply.status).toBe(200);
  expect(text).toContain(username === "timed" ? "Invalid password" : "Invalid username");
  return elapsed;
}

test("[web] a wrong password and an unknown name take the same time: the password hash's", async () => {
  const hash = await Bun.password.hash("some password", HASH);
  const verify: number[] = [];
  for (let i = 0; i < 15; i++) {
    const start = performance.now();
    await Bun.password.verify("wrong", hash);
    verify.push(performance.now() - start);
  }
  for (let i = 0; i < 5; i++) await Promise.all([timedLogin("timed"), timedLogin(`nobody-${i}`)]); // warm-up
  const known: number[] = [];
  const unknown: number[] = [];
  // Interleaved, in alternating order, so that the machine's load falls on both alike.
  for (let i = 0; i < PAIRS; i++) {
    if (i % 2 === 0) {
      known.push(await timedLogin("timed"));
      unknown.push(await timedLogin(`nobody-${i}`));
    } else {
      unknown.push(await timedLogin(`nobody-${i}`));
      known.push(await timedLogin("timed"));
    }
  }
  const [k, u, v] = [median(known), median(unknown), median(verify)];
  console.error(
    `[login timing] ${PAIRS} pairs: known name, wrong password median ${k.toFixed(2)} ms; unknown name median ` +
      `${u.toFixed(2)} ms; difference ${(k - u).toFixed(2)} ms; one Argon2id verification ${v.toFixed(2)} ms`,
  );
  // Without the dummy verification the difference is one whole verification; allow half of one for noise.
  expect(Math.abs(k - u)).toBeLessThan(v / 2);
  expect(u).toBeGreaterThan(v / 2);
}, 60_000);
