// One person, one visible name: a table of names registered through the web form and the API, each
// either refused for its characters, refused as already taken by a name that looks the same, or accepted.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { NAME_INVISIBLE, NAME_REFUSED, nameKey } from "../../src/data/names.ts";
import { USERNAME_TAKEN } from "../../src/data/users.ts";
import { Client, startApp, type TestApp } from "../helpers.ts";

const AUTH = `Basic ${btoa("simulator:super_safe!")}`;

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
}, 60_000);
afterAll(() => app.stop());

/** Registers through one of the two doors; returns the error shown, or undefined when it succeeded. */
async function register(door: "web" | "api", username: string): Promise<string | undefined> {
  if (door === "api") {
    const reply = await fetch(`${app.api}/register`, {
      method: "POST",
      headers: { authorization: AUTH, "content-type": "application/json" },
      body: JSON.stringify({ username, email: "n@example.com", pwd: "secret" }),
    });
    if (reply.status === 204) return undefined;
    expect(reply.status).toBe(400);
    expect(reply.headers.get("content-type")).toContain("application/json");
    return ((await reply.json()) as { error_msg: string }).error_msg;
  }
  const page = await new Client(app.web).post(
    "/register",
    { username, email: "n@example.com", password: "secret", password2: "secret" },
    false,
  );
  if (page.status === 303) return undefined;
  expect(page.status).toBe(200);
  expect(page.headers.get("content-type")).toContain("text/html");
  return page.text
    .match(/<strong>Error:<\/strong>\s*([^<]*)/)?.[1]
    ?.trim()
    .replaceAll("&#39;", "'");
}

// Names refused for what they are made of, whatever else exists.
const REFUSED: [string, string, string][] = [
  ["zero-width space inside", "ali\u200bce", NAME_REFUSED],
  ["zero-width joiner inside", "ali\u200dce", NAME_REFUSED],
  ["byte order mark", "\ufeffalice", NAME_REFUSED],
  ["right-to-left override that displays as alice", "\u202eecila", NAME_REFUSED],
  ["left-to-right embedding", "\u202aalice", NAME_REFUSED],
  ["bidi isolates", "ali\u2066ce\u2069", NAME_REFUSED],
  ["C1 control NEL", "ali\u0085ce", NAME_REFUSED],
  ["C1 control CSI", "x\u009b31m", NAME_REFUSED],
  ["C0 control BEL", "bell\u0007", NAME_REFUSED],
  ["DEL", "del\u007fx", NAME_REFUSED],
  ["line separator", "a\u2028b", NAME_REFUSED],
  ["unassigned code point", "x\u0378", NAME_REFUSED],
  ["private use character", "x\ue000", NAME_REFUSED],
  ["soft hyphen", "al\u00adice", NAME_REFUSED],
  ["Hangul filler only", "\u3164", NAME_REFUSED],
  ["Hangul filler beside letters", "alice\u3164x", NAME_REFUSED],
  ["zero-width spaces only", "\u200b\u200b", NAME_REFUSED],
  ["blank Braille pattern only", "\u2800", NAME_INVISIBLE],
  ["combining marks only", "\u0301\u0308", NAME_INVISIBLE],
  ["no-break space only", "\u00a0", NAME_INVISIBLE],
  ["ideographic space only", "\u3000", NAME_INVISIBLE],
];

// [first registered, second, whether the second is taken]. Each door prefixes its own letter.
const PAIRS: [string, string, string, boolean][] = [
  ["case", "Alice", "alice", true],
  ["upper case", "Alice", "ALICE", true],
  ["Cyrillic а", "Alice", "\u0430lice", true],
  ["Cyrillic capitals", "HELLO", "\u041d\u0415LL\u041e", true],
  ["Greek capital alpha", "Alice", "\u0391lice", true],
  ["full-width letters", "Alice", "\uff41\uff4c\uff49\uff43\uff45", true],
  ["mathematical bold", "Alice", "\u{1d41a}\u{1d425}\u{1d422}\u{1d41c}\u{1d41e}", true],
  ["no-break space for a space", "Roger Histand", "Roger\u00a0Histand", true],
  ["two spaces for one", "Roger Histand", "Roger  Histand", true],
  ["sharp s", "straße", "STRASSE", true],
  ["decomposed accent", "Jos\u00e9", "Jose\u0301", true],
  ["rn beside m (Latin, distinct)", "Vernon", "Vemon", false],
  ["digit one beside letter l", "alice1", "alicel", false],
  ["accent matters", "José", "Jose", false],
  ["Cyrillic name", "Мария", "Maria", false],
  ["emoji with variation selector", "Ann \u2764\ufe0f", "Ann \u2764", true],
];

for (const door of ["web", "api"] as const) {
  describe(`[security] one visible name (${door} registration)`, () => {
    test.each(REFUSED)(`[security] ${door}: %s is refused`, async (_, name, message) => {
      expect(await register(door, name)).toBe(message);
    });

    test.each(PAIRS)(`[security] ${door}: %s`, async (_, first, second, taken) => {
      const prefix = door === "web" ? "w" : "a";
      // The first of a pair may already exist from an earlier row of the table (Alice): either is fine.
      const before = await register(door, `${prefix}${first}`);
      expect([undefined, USERNAME_TAKEN]).toContain(before);
      expect(await register(door, `${prefix}${second}`)).toBe(taken ? USERNAME_TAKEN : undefined);
    });
  });
}

describe("[security] exact names keep working", () => {
  test("[security] pages, the API and sign-in address a user by the exact name registered", async () => {
    expect(await register("web", "Wendell Ballan")).toBeUndefined();
    const page = await new Client(app.web).get("/Wendell%20Ballan");
    expect(page.status).toBe(200);
    expect(page.text).toContain("Wendell Ballan");
    expect((await new Client(app.web).get("/wendell%20ballan")).status).toBe(404);
    const msgs = await fetch(`${app.api}/msgs/Wendell%20Ballan`, { headers: { authorization: AUTH } });
    expect(msgs.status).toBe(200);
    const other = await fetch(`${app.api}/msgs/wendell%20ballan`, { headers: { authorization: AUTH } });
    expect(other.status).toBe(404);
    const client = new Client(app.web);
    expect((await client.login("Wendell Ballan")).text).toContain("You were logged in");
    expect((await new Client(app.web).login("wendell ballan")).text).toContain("Invalid username");
  });

  test("[security] reserved route names are refused in any look-alike spelling", async () => {
    for (const name of ["Public", "LOGIN", "\u0440ublic", "\uff4c\uff4f\uff47\uff49\uff4e"]) {
      expect(await register("web", name)).toBe("This username is reserved");
    }
  });

  test("[security] the key: what is folded together and what is not", () => {
    expect(nameKey("Alice")).toBe("alice");
    expect(nameKey("\u0430lice")).toBe("alice");
    expect(nameKey("Vernon")).not.toBe(nameKey("Vemon"));
    expect(nameKey("Roger \u2003 Histand")).toBe("roger histand");
  });
});
