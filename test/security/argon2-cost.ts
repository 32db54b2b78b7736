// Measures the cost of password hashing: `npx bun test/security/argon2-cost.ts` (not part of the suite).
// Prints Bun.password.hash times for candidate Argon2id settings, then 32 simultaneous registrations
// through the simulator API of the real program (PGlite, or PostgreSQL at TEST_DATABASE_URL).
import { HASH } from "../../src/data/users.ts";
import { startApp } from "../helpers.ts";

const CANDIDATES = [
  { memoryCost: 19_456, timeCost: 2 }, // OWASP's second recommendation
  { memoryCost: 7_168, timeCost: 5 }, // OWASP's lowest-memory equivalent
  { memoryCost: 4_096, timeCost: 3 },
  { memoryCost: HASH.memoryCost, timeCost: HASH.timeCost }, // chosen
];
const CLIENTS = 32;

function ms(x: number) {
  return `${Math.round(x)} ms`;
}

for (const c of CANDIDATES) {
  const options = { algorithm: "argon2id" as const, ...c };
  await Bun.password.hash("warm-up", options);
  const one: number[] = [];
  for (let i = 0; i < 10; i++) {
    const start = performance.now();
    await Bun.password.hash(`password ${i}`, options);
    one.push(performance.now() - start);
  }
  one.sort((a, b) => a - b);
  const start = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => Bun.password.hash(`pw ${i}`, options)));
  console.log(
    `m=${c.memoryCost} KiB t=${c.timeCost}: one hash ${(one[5] ?? 0).toFixed(1)} ms (median of 10); ` +
      `${CLIENTS} at once: last done after ${ms(performance.now() - start)}`,
  );
}

const app = await startApp();
const auth = { authorization: `Basic ${btoa("simulator:super_safe!")}`, "content-type": "application/json" };
for (const round of [1, 2, 3]) {
  const times = await Promise.all(
    Array.from({ length: CLIENTS }, async (_, i) => {
      const start = performance.now();
      const r = await fetch(`${app.api}/register`, {
        method: "POST",
        headers: { ...auth, connection: "close" },
        body: JSON.stringify({ username: `cost${round}x${i}`, email: `c${i}@example.com`, pwd: `pw${i}` }),
      });
      if (r.status !== 204) throw new Error(`registration answered ${r.status}`);
      return performance.now() - start;
    }),
  );
  times.sort((a, b) => a - b);
  console.log(
    `round ${round}: ${CLIENTS} simultaneous API registrations (m=${HASH.memoryCost} KiB t=${HASH.timeCost}): ` +
      `median ${ms(times[CLIENTS / 2] ?? 0)}, slowest ${ms(times[CLIENTS - 1] ?? 0)}`,
  );
}
await app.stop();
