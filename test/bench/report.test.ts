// The bench's report as written into docs/performance.md: tables padded as Biome formats them.
import { describe, expect, test } from "bun:test";
import { alignTables } from "../../bench/report.ts";

describe("[bench] report", () => {
  test("[bench] tables are padded per column (right-aligned under ---:), other lines untouched", () => {
    const raw = [
      "Some prose | with a bar.",
      "",
      "| workload | req/s | target | met |",
      "| --- | ---: | --- | --- |",
      "| GET /public | 16414 | ≥ 25 %, p99 ≤ 10 ms | yes |",
      "| bare | 68422 |  |  |",
      "",
      "- a note",
    ].join("\n");
    expect(alignTables(raw)).toBe(
      [
        "Some prose | with a bar.",
        "",
        "| workload    | req/s | target              | met |",
        "| ----------- | ----: | ------------------- | --- |",
        "| GET /public | 16414 | ≥ 25 %, p99 ≤ 10 ms | yes |",
        "| bare        | 68422 |                     |     |",
        "",
        "- a note",
      ].join("\n"),
    );
    // Already aligned: unchanged.
    expect(alignTables(alignTables(raw))).toBe(alignTables(raw));
  });
});
