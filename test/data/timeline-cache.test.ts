// The timeline cache's parts: the coalesced ids read and the rendered pages kept by ids, with the
// ids queries on the real database (PGlite, or TEST_DATABASE_URL).
import { describe, expect, test } from "bun:test";
import { postMessage } from "../../src/data/messages.ts";
import { setFlagged } from "../../src/data/moderation.ts";
import { batch, batchBy, coalesce, coalesceBy } from "../../src/data/shared-reads.ts";
import { publicIds, RenderCache, SEEN_LIMIT, userPages } from "../../src/data/timeline-cache.ts";
import { acceptsGzip } from "../../src/web/timeline.ts";
import { databaseWithUsers } from "../helpers.ts";

/** A function whose every run waits until the test ends it; `runs` counts the runs started. */
function controlled() {
  const ends: ((value: number) => void)[] = [];
  let runs = 0;
  const fn = () =>
    new Promise<number>((resolve) => {
      runs++;
      ends.push(resolve);
    });
  return { fn, ends, runs: () => runs };
}

describe("[cache] coalesce", () => {
  test("[cache] a caller arriving during a run gets the next run, never the one under way", async () => {
    const { fn, ends, runs } = controlled();
    const read = coalesce(fn);
    const first = read();
    const second = read();
    const third = read();
    expect(runs()).toBe(1);
    let secondValue: number | undefined;
    second.then((v) => {
      secondValue = v;
    });
    ends[0]?.(1);
    expect(await first).toBe(1);
    await Bun.sleep(0);
    // The run under way ended: the callers that arrived during it now share one new run.
    expect(runs()).toBe(2);
    expect(secondValue).toBeUndefined();
    ends[1]?.(2);
    expect(await second).toBe(2);
    expect(await third).toBe(2);
  });

  test("[cache] a failed run fails its own callers only; the next callers get a fresh run", async () => {
    let n = 0;
    const read = coalesce(async () => {
      n++;
      if (n === 1) throw new Error("database down");
      return n;
    });
    const first = read();
    const second = read();
    await expect(first).rejects.toThrow("database down");
    expect(await second).toBe(2);
    expect(await read()).toBe(3);
  });
});

describe("[cache] coalesceBy", () => {
  test("[cache] one key's callers share runs as coalesce says; other keys run beside them", async () => {
    const ends = new Map<string, (() => void)[]>();
    const runs: string[] = [];
    const read = coalesceBy(
      (key: string, arg: number) =>
        new Promise<string>((resolve) => {
          runs.push(`${key}:${arg}`);
          const list = ends.get(key) ?? [];
          const n = list.length;
          list.push(() => resolve(`${key}:${arg}@${n}`));
          ends.set(key, list);
        }),
    );
    const public1 = read("public", 1);
    const public2 = read("public", 2);
    const public3 = read("public", 3);
    const ada = read("ada", 4);
    // "ada" did not wait for "public"; the second and third public callers wait for the next run.
    expect(runs).toEqual(["public:1", "ada:4"]);
    ends.get("public")?.[0]?.();
    expect(await public1).toBe("public:1@0");
    await Bun.sleep(0);
    // The next run: started by the caller that queued it first, shared by both.
    expect(runs).toEqual(["public:1", "ada:4", "public:2"]);
    ends.get("public")?.[1]?.();
    expect(await public2).toBe("public:2@1");
    expect(await public3).toBe("public:2@1");
    ends.get("ada")?.[0]?.();
    expect(await ada).toBe("ada:4@0");
    // Idle again: a new caller starts a run at once.
    const again = read("public", 5);
    expect(runs.at(-1)).toBe("public:5");
    ends.get("public")?.[2]?.();
    expect(await again).toBe("public:5@2");
  });
});

describe("[cache] batch", () => {
  /** A batched lookup whose every run waits until the test ends it; `runs` holds each run's keys. */
  function controlledBatch() {
    const ends: (() => void)[] = [];
    const runs: string[][] = [];
    const read = batch(
      (keys: string[]) =>
        new Promise<Map<string, string>>((resolve) => {
          runs.push(keys);
          ends.push(() => resolve(new Map(keys.filter((k) => k !== "nobody").map((k) => [k, `${k}@${runs.length}`]))));
        }),
    );
    return { read, ends, runs };
  }

  test("[cache] keys asked for during a run share the next run, never the one under way", async () => {
    const { read, ends, runs } = controlledBatch();
    const ada = read("ada");
    const bob = read("bob");
    const ada2 = read("ada");
    const nobody = read("nobody");
    expect(runs).toEqual([["ada"]]);
    let bobValue: string | undefined;
    bob.then((v) => {
      bobValue = v;
    });
    ends[0]?.();
    expect(await ada).toBe("ada@1");
    await Bun.sleep(0);
    // The run under way ended: everything asked for during it went into one new run, each key once.
    expect(runs).toEqual([["ada"], ["bob", "ada", "nobody"]]);
    expect(bobValue).toBeUndefined();
    ends[1]?.();
    expect(await bob).toBe("bob@2");
    expect(await ada2).toBe("ada@2");
    expect(await nobody).toBeUndefined();
  });

  test("[cache] a failed run fails its own callers only; the next callers get a fresh run", async () => {
    let n = 0;
    const read = batch(async (keys: string[]) => {
      n++;
      if (n === 1) throw new Error("database down");
      return new Map(keys.map((k) => [k, n]));
    });
    const first = read("ada");
    const second = read("bob");
    await expect(first).rejects.toThrow("database down");
    expect(await second).toBe(2);
    expect(await read("ada")).toBe(3);
  });
});

describe("[cache] batchBy", () => {
  test("[cache] each group batches its own keys; groups run independently, each given its group", async () => {
    const ends = new Map<number, (() => void)[]>();
    const runs: [number, string[]][] = [];
    const read = batchBy(
      (no: number, keys: string[]) =>
        new Promise<Map<string, string>>((resolve) => {
          runs.push([no, keys]);
          const list = ends.get(no) ?? [];
          list.push(() => resolve(new Map(keys.map((k) => [k, `${k}/${no}`]))));
          ends.set(no, list);
        }),
    );
    const a1 = read(1, "ada");
    const b2 = read(2, "bob");
    const c1 = read(1, "cy");
    const a2 = read(2, "ada");
    // One run per group at once; the second key of each group waits for its own group's next run.
    expect(runs).toEqual([
      [1, ["ada"]],
      [2, ["bob"]],
    ]);
    ends.get(2)?.[0]?.();
    expect(await b2).toBe("bob/2");
    await Bun.sleep(0);
    expect(runs).toEqual([
      [1, ["ada"]],
      [2, ["bob"]],
      [2, ["ada"]],
    ]);
    ends.get(1)?.[0]?.();
    expect(await a1).toBe("ada/1");
    await Bun.sleep(0);
    expect(runs.at(-1)).toEqual([1, ["cy"]]);
    ends.get(1)?.[1]?.();
    ends.get(2)?.[1]?.();
    expect(await c1).toBe("cy/1");
    expect(await a2).toBe("ada/2");
    // A group with nothing under way starts at once again.
    const again = read(1, "ada");
    expect(runs.at(-1)).toEqual([1, ["ada"]]);
    ends.get(1)?.[2]?.();
    expect(await again).toBe("ada/1");
  });
});

describe("[cache] acceptsGzip", () => {
  const accepts = (value?: string) =>
    acceptsGzip(new Request("http://localhost/", { headers: value === undefined ? {} : { "accept-encoding": value } }));

  test("[cache] gzip is sent only to a request that names it (or *) without q=0", () => {
    expect(accepts()).toBe(false);
    expect(accepts("")).toBe(false);
    expect(accepts("identity")).toBe(false);
    expect(accepts("br, deflate")).toBe(false);
    expect(accepts("gzip")).toBe(true);
    expect(accepts("gzip, deflate, br, zstd")).toBe(true);
    expect(accepts("br;q=1.0, GZIP;q=0.5")).toBe(true);
    expect(accepts("*")).toBe(true);
    expect(accepts("gzip;q=0")).toBe(false);
    expect(accepts("gzip; q=0.0, br")).toBe(false);
  });
});

describe("[cache] RenderCache", () => {
  test("[cache] a value is returned only for the ids it was rendered from", () => {
    const cache = new RenderCache<string>(1000, (v) => v.length);
    cache.set("public", "{3,2,1}", "page A");
    expect(cache.get("public", "{3,2,1}")).toBe("page A");
    expect(cache.get("public", "{4,3,2}")).toBeUndefined();
    expect(cache.get("user:1", "{3,2,1}")).toBeUndefined();
    expect([cache.hits, cache.misses]).toEqual([1, 2]);
  });

  test("[cache] a key is worth keeping from its second request on, or while it is kept", () => {
    const cache = new RenderCache<string>(1000, (v) => v.length);
    expect(cache.wanted("user:ada")).toBe(false);
    expect(cache.wanted("user:bob")).toBe(false);
    expect(cache.wanted("user:ada")).toBe(true);
    cache.set("user:ada", "{1}", "page");
    expect(cache.wanted("user:ada")).toBe(true);
    expect(cache.wanted("user:ada")).toBe(true);
    expect(cache.wanted("user:bob")).toBe(true);
    expect(cache.wanted("user:bob")).toBe(false);
    // `asked` tells the same without remembering anything.
    expect(cache.asked("user:carol")).toBe(false);
    expect(cache.asked("user:carol")).toBe(false);
    expect(cache.asked("user:bob")).toBe(true);
    expect(cache.asked("user:ada")).toBe(true);
  });

  test("[cache] keys asked for once are forgotten oldest first, never all at once", () => {
    const cache = new RenderCache<string>(1000, (v) => v.length);
    expect(cache.wanted("early")).toBe(false);
    expect(cache.wanted("late")).toBe(false);
    // As many other keys as the limit: "early" is the oldest, so it alone went; "late" is still there.
    for (let i = 0; i < SEEN_LIMIT - 1; i++) cache.wanted(`user:${i}`);
    expect(cache.asked("early")).toBe(false);
    expect(cache.asked("late")).toBe(true);
    expect(cache.asked(`user:${SEEN_LIMIT - 2}`)).toBe(true);
    expect(cache.wanted("late")).toBe(true);
  });

  test("[cache] the least recently used entries go first once the budget is passed", () => {
    const cache = new RenderCache<string>(100, (v) => v.length);
    cache.set("a", "{1}", "x".repeat(30));
    cache.set("b", "{1}", "x".repeat(30));
    expect(cache.get("a", "{1}")).toBeDefined();
    cache.set("c", "{1}", "x".repeat(30));
    expect(cache.size).toBe(2);
    expect(cache.get("b", "{1}")).toBeUndefined();
    expect(cache.get("a", "{1}")).toBeDefined();
    expect(cache.get("c", "{1}")).toBeDefined();
    expect(cache.bytes).toBeLessThanOrEqual(100);
    // Larger than the whole budget: returned, not kept.
    expect(cache.set("d", "{1}", "x".repeat(200))).toHaveLength(200);
    expect(cache.get("d", "{1}")).toBeUndefined();
    // Replacing an entry does not count it twice.
    cache.set("a", "{2}", "y".repeat(30));
    cache.set("a", "{3}", "z".repeat(30));
    expect(cache.size).toBe(2);
    expect(cache.get("a", "{3}")).toBe("z".repeat(30));
  });
});

describe("[cache] the ids queries", () => {
  const fixture = databaseWithUsers("ada", "bob");

  test("[cache] newest first, flagged left out, limited; a user's only theirs", async () => {
    const { store, ids: users } = fixture;
    const { ada, bob } = users;
    expect(await publicIds(store.db, 31)).toBe("{}");
    expect((await userPages(store.db, ["ada"], 31)).get("ada")?.ids).toBe("{}");
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push(await postMessage(store.db, i % 2 ? bob : ada, `message ${i}`));
    const [m0, m1, m2, m3, m4] = ids;
    expect(await publicIds(store.db, 31)).toBe(`{${m4},${m3},${m2},${m1},${m0}}`);
    expect(await publicIds(store.db, 2)).toBe(`{${m4},${m3}}`);
    expect((await userPages(store.db, ["ada"], 31)).get("ada")).toEqual({
      user: { id: ada, username: "ada", email: "ada@example.com" },
      ids: `{${m4},${m2},${m0}}`,
    });
    await setFlagged(store.db, [m2 as number], true);
    expect(await publicIds(store.db, 31)).toBe(`{${m4},${m3},${m1},${m0}}`);
    expect((await userPages(store.db, ["ada"], 31)).get("ada")?.ids).toBe(`{${m4},${m0}}`);
    expect((await userPages(store.db, ["nobody"], 31)).get("nobody")).toBeUndefined();
    // Several names in one statement: each with its own ids, unknown names absent.
    const pages = await userPages(store.db, ["bob", "nobody", "ada"], 2);
    expect([...pages.keys()].sort()).toEqual(["ada", "bob"]);
    expect(pages.get("ada")?.ids).toBe(`{${m4},${m0}}`);
    expect(pages.get("bob")).toEqual({
      user: { id: bob, username: "bob", email: "bob@example.com" },
      ids: `{${m3},${m1}}`,
    });
  });
});
