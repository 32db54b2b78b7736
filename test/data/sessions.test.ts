// Session checks on the real database (PGlite, or TEST_DATABASE_URL): concurrent checks share one
// statement (the sharing itself: test/data/timeline-cache.test.ts), and each gets its own answer.
import { describe, expect, test } from "bun:test";
import { createSession, endSession, sessionAlive } from "../../src/data/sessions.ts";
import { databaseWithUsers } from "../helpers.ts";

const fixture = databaseWithUsers("ada", "bob");

describe("[session] alive", () => {
  test("[session] concurrent checks each get their own answer: alive, ended, expired, another user's, unknown", async () => {
    const { store, ids } = fixture;
    const { ada, bob } = ids;
    const live = await createSession(store.db, ada, 3600);
    const bobs = await createSession(store.db, bob, 3600);
    const ended = await createSession(store.db, ada, 3600);
    await endSession(store.db, ended);
    const expired = await createSession(store.db, bob, -1);
    const checks: [string, number, boolean][] = [
      [live, ada, true],
      [bobs, bob, true],
      [live, bob, false],
      [bobs, ada, false],
      [ended, ada, false],
      [expired, bob, false],
      ["no-such-session", ada, false],
      [live, ada, true],
    ];
    // All at once, twice: the first call runs alone, the rest share the next statement.
    for (let round = 0; round < 2; round++) {
      const answers = await Promise.all(checks.map(([id, user]) => sessionAlive(store.db, id, user)));
      expect(answers).toEqual(checks.map(([, , alive]) => alive));
    }
  });
});
