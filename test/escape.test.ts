import { describe, expect, test } from "bun:test";
import { escapeHtml } from "../views/escape.ts";

// The fast escape against the plain definition, on random strings rich in the five characters.
const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;" };
const reference = (s: string) => s.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);

describe("[views] escapeHtml", () => {
  test("[views] escapeHtml equals the plain Jinja2 definition on 5,000 random strings", () => {
    const alphabet = ["&", "<", ">", '"', "'", "a", "Z", " ", "é", "😀", "\n", "&amp;"];
    for (let n = 0; n < 5000; n++) {
      let s = "";
      const length = Math.floor(Math.random() * 40);
      for (let i = 0; i < length; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
      expect(escapeHtml(s)).toBe(reference(s));
    }
  });

  test("[views] escapeHtml returns strings without special characters unchanged", () => {
    expect(escapeHtml("")).toBe("");
    expect(escapeHtml("user1234")).toBe("user1234");
    expect(escapeHtml(0)).toBe("0");
    expect(escapeHtml("&")).toBe("&amp;");
    expect(escapeHtml("a'b")).toBe("a&#39;b");
  });
});
