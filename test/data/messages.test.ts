import { describe, expect, test } from "bun:test";
import { MESSAGE_MAX, messageError, parseCursor } from "../../src/data/messages.ts";

describe("[data] message rules and the keyset cursor", () => {
  test("[data] parseCursor accepts positive 32-bit ids only", () => {
    expect(parseCursor("1")).toBe(1);
    expect(parseCursor("2147483647")).toBe(2147483647);
    for (const bad of [undefined, null, "", "0", "-1", "01", "1.5", "abc", "2147483648", "99999999999"]) {
      expect(parseCursor(bad)).toBeUndefined();
    }
  });

  test("[data] messages must be non-empty and at most MESSAGE_MAX characters", () => {
    expect(messageError("hello")).toBeUndefined();
    expect(messageError("")).toBe("You have to enter a message");
    expect(messageError("   ")).toBe("You have to enter a message");
    expect(messageError("x".repeat(MESSAGE_MAX))).toBeUndefined();
    expect(messageError("x".repeat(MESSAGE_MAX + 1))).toContain(`at most ${MESSAGE_MAX}`);
  });
});
