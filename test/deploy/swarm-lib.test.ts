// The deployment tests' end-state check around failed actions (swarm-lib.ts lostWrites): it must see a
// write answered 204 that is not there, and accept what a timed-out write may or may not have done.
import { describe, expect, test } from "bun:test";
import type { Action } from "../../bench/simulate.ts";
import type { EndState } from "../api/program.ts";
import { lostWrites } from "./swarm-lib.ts";

const actions: Action[] = [
  { id: 1, command: "register", user: "ada", email: "a@example.com", pwd: "p" },
  { id: 2, command: "register", user: "bob", email: "b@example.com", pwd: "p" },
  { id: 3, command: "tweet", user: "ada", content: "one" },
  { id: 4, command: "tweet", user: "ada", content: "two" },
  { id: 5, command: "follow", user: "ada", other: "bob" },
  { id: 6, command: "follow", user: "bob", other: "ada" },
  { id: 7, command: "unfollow", user: "bob", other: "ada" },
];

function state(messages: Record<string, number>, follows: Record<string, string[]>): EndState {
  return {
    messages: new Map(Object.entries(messages)),
    follows: new Map(Object.entries(follows).map(([u, f]) => [u, new Set(f)])),
  };
}

const allDone = new Map(actions.map((a) => [a.id, "204"]));

describe("[deploy] lostWrites", () => {
  test("[deploy] the exact state loses nothing", () => {
    expect(lostWrites(actions, allDone, state({ ada: 2, bob: 0 }, { ada: ["bob"], bob: [] }))).toEqual([]);
  });

  test("[deploy] a write answered 204 and missing is reported, whatever its kind", () => {
    expect(lostWrites(actions, allDone, state({ ada: 1, bob: 0 }, { ada: ["bob"], bob: [] }))).toEqual([
      "ada: 1 messages, answered 2 of 2",
    ]);
    expect(lostWrites(actions, allDone, state({ ada: 2 }, { ada: ["bob"] }))).toEqual(["user bob"]);
    expect(lostWrites(actions, allDone, state({ ada: 2, bob: 0 }, { ada: [], bob: ["ada"] }))).toEqual([
      "follow ada → bob",
      "unfollow bob → ada",
    ]);
  });

  test("[deploy] a timed-out write may or may not have happened; later answered ones still count", () => {
    const outcomes = new Map(allDone);
    outcomes.set(4, "timeout");
    outcomes.set(7, "timeout");
    for (const adaMessages of [1, 2]) {
      for (const bobFollows of [[], ["ada"]]) {
        const observed = state({ ada: adaMessages, bob: 0 }, { ada: ["bob"], bob: bobFollows });
        expect(lostWrites(actions, outcomes, observed)).toEqual([]);
      }
    }
    expect(lostWrites(actions, outcomes, state({ ada: 0, bob: 0 }, { ada: ["bob"], bob: [] }))).toEqual([
      "ada: 0 messages, answered 1 of 2",
    ]);
  });
});
