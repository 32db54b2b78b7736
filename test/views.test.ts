import { describe, expect, test } from "bun:test";
import { escapeHtml } from "../views/escape.ts";
import { formatDate, gravatarUrl, userPath } from "../views/timeline.tsx";

describe("[views] escaping and formatting", () => {
  test("[views] escapeHtml escapes as Jinja2 does", () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    expect(escapeHtml("plain text")).toBe("plain text");
    expect(escapeHtml(42)).toBe("42");
  });

  test("[views] dates are shown as YYYY-MM-DD @ HH:MM in UTC", () => {
    expect(formatDate(new Date("2026-01-31T23:59:59.999+01:00"))).toBe("2026-01-31 @ 22:59");
  });

  test("[views] Gravatar uses the md5 of the trimmed, lower-cased email", () => {
    expect(gravatarUrl(" Foo@Example.COM ")).toBe(
      "https://www.gravatar.com/avatar/b48def645758b95537d4424c84d1a9ff?d=identicon&s=48",
    );
  });

  test("[views] user paths are URL-encoded", () => {
    expect(userPath("Roger Histand")).toBe("/Roger%20Histand");
    expect(userPath("a/b?c")).toBe("/a%2Fb%3Fc");
  });
});
