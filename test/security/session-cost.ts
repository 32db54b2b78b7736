// Measures what the session check costs a signed-in request: `npx bun test/security/session-cost.ts`
// (not part of the suite; PGlite, or PostgreSQL at TEST_DATABASE_URL). Prints the check's query alone,
// then GET /public signed in and anonymous, interleaved over real HTTP: the page is the same but for
// the navigation; signed in, the request also verifies the cookie and looks the session up.
import { loadConfig } from "../../src/config.ts";
import { sessionAlive } from "../../src/data/sessions.ts";
import { COOKIE_NAME, verifySession } from "../../src/session.ts";
import { Client, startApp } from "../helpers.ts";

const ROUNDS = Number(process.env.ROUNDS ?? 500);

function stats(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(3);
  return `median ${at(0.5)} ms, p90 ${at(0.9)} ms, p99 ${at(0.99)} ms`;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const app = await startApp();
try {
  const user = new Client(app.web);
  await user.register("costly");
  await user.login("costly");
  const cookie = user.cookie;
  const data = verifySession(cookie.slice(COOKIE_NAME.length + 1), loadConfig({}).secretKey);
  if (!data?.sid || data.uid === undefined) throw new Error("no session in the cookie");
  const { sid, uid } = data;

  const query: number[] = [];
  for (let i = 0; i < 100; i++) await sessionAlive(app.db, sid, uid); // warm-up
  for (let i = 0; i < 4 * ROUNDS; i++) query.push(await timed(() => sessionAlive(app.db, sid, uid)));

  const page = (withCookie: boolean) =>
    fetch(`${app.web}/public`, { headers: withCookie ? { cookie } : {} }).then((r) => r.text());
  for (let i = 0; i < 50; i++) await Promise.all([page(false), page(true)]); // warm-up
  const anonymous: number[] = [];
  const signedIn: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    // Alternating order, so that the machine's load falls on both alike.
    for (const withCookie of i % 2 ? [false, true] : [true, false]) {
      (withCookie ? signedIn : anonymous).push(await timed(() => page(withCookie)));
    }
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? 0;
  console.log(`${app.url ? "PostgreSQL" : "PGlite"}:`);
  console.log(`  session lookup alone (${4 * ROUNDS}): ${stats(query)}`);
  console.log(`  GET /public anonymous (${ROUNDS}): ${stats(anonymous)}`);
  console.log(`  GET /public signed in (${ROUNDS}): ${stats(signedIn)}`);
  console.log(`  difference of medians: ${(median(signedIn) - median(anonymous)).toFixed(3)} ms`);
} finally {
  await app.stop();
}
