// The benchmark's report: its rows and figures, as the Markdown table printed and written into
// docs/performance.md between its markers.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Result } from "./load.ts";
import type { Sizes } from "./server.ts";

export interface Target {
  /** Minimum share of the ceiling. */
  share?: number;
  /** Maximum p99 and max, ms. */
  p99?: number;
  max?: number;
}

export interface Row {
  result: Result;
  connections: number;
  ceiling?: Result;
  /** Met when there was no error and every part given holds. */
  target?: Target;
  /** CPU time of the server process per request, µs (robust to other load on the machine). */
  cpuUs?: number;
}

export interface BenchReport {
  machine: string;
  sizes: Sizes;
  rows: Row[];
  /** Resident memory of the server process after the scenario replay, MB, and the most allowed. */
  memory: { name: string; mb: number; limit: number }[];
  /** Largest resident set of the PostgreSQL-mode server under the read load, MB. */
  readPeakMb: number;
  /** The 1-minute load average after each measured page and replay. */
  loads: number[];
  /** From spawning the server to its first answered page, ms: PostgreSQL (migrated), embedded (new folder). */
  startMs: number;
  embeddedStartMs: number;
  /** Alternating runs per size in the growth check. */
  growthRounds: number;
  /** Per growth database: its sizes, and p50 per timeline at its size and at the main one's. */
  growth: { sizes: Sizes; timelines: { name: string; small: number; large: number }[] }[];
  command: string;
  date: string;
}

const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : "–");
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "–");
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "–");

/** Whether the row meets its target: undefined without one. */
export function met(row: Row): boolean | undefined {
  const { result: r, ceiling, target } = row;
  if (!target) return undefined;
  const ratio = ceiling ? r.rate / ceiling.rate : Number.NaN;
  return (
    r.errors === 0 &&
    (target.share === undefined || ratio >= target.share) &&
    (target.p99 === undefined || r.p99 <= target.p99) &&
    (target.max === undefined || r.max <= target.max)
  );
}

function describeTarget(t: Target): string {
  const parts = ["0 errors"];
  if (t.share !== undefined) parts.push(`≥ ${t.share * 100} %`);
  if (t.p99 !== undefined) parts.push(`p99 ≤ ${t.p99} ms`);
  if (t.max !== undefined) parts.push(`max ≤ ${t.max} ms`);
  return parts.join(", ");
}

/** The report as Markdown: the table, memory, then the machine, sizes, start and growth. */
export function render(report: BenchReport): string {
  const lines = [
    "| workload | conc. | req/s | p50 ms | p99 ms | max ms | errors | ceiling | ratio | target | met | server CPU µs/req |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | --- | ---: |",
  ];
  for (const row of report.rows) {
    const { result: r, connections, ceiling, target, cpuUs } = row;
    const ok = met(row);
    lines.push(
      `| ${r.name} | ${connections} | ${f0(r.rate)} | ${f2(r.p50)} | ${f2(r.p99)} | ${f1(r.max)} | ${r.errors} | ` +
        `${ceiling ? `${ceiling.name}: ${f0(ceiling.rate)}/s, p50 ${f2(ceiling.p50)} ms` : ""} | ` +
        `${ceiling ? `${f0((r.rate / ceiling.rate) * 100)} %` : ""} | ${target ? describeTarget(target) : ""} | ` +
        `${ok === undefined ? "" : ok ? "yes" : "**no**"} | ${cpuUs === undefined ? "" : f0(cpuUs)} |`,
    );
  }
  lines.push("", "| resident memory after the replay | MB | target | met |", "| --- | ---: | --- | --- |");
  for (const m of report.memory) {
    lines.push(`| ${m.name} | ${f0(m.mb)} | ≤ ${m.limit} MB | ${m.mb <= m.limit ? "yes" : "**no**"} |`);
  }
  const s = report.sizes;
  lines.push(
    "",
    `- Machine: ${report.machine}; server, PostgreSQL and load generators share it. The 1-minute load average ` +
      `after each measured page and replay ranged from ${f2(Math.min(...report.loads))} to ${f2(Math.max(...report.loads))}.`,
    `- Sizes: ${s.users} users, ${s.follows} follows, ${s.messages} messages (${s.flagged} flagged).`,
    `- Memory under the read load: the PostgreSQL-mode server peaked at ${f0(report.readPeakMb)} MB resident.`,
    `- Start: first page served ${f0(report.startMs)} ms after the process started, migrated PostgreSQL (target ≤ 1000 ms): ${
      report.startMs <= 1000 ? "met" : "**missed**"
    }; embedded database on a new folder: ${f0(report.embeddedStartMs)} ms.`,
  );
  for (const g of report.growth) {
    const same =
      g.sizes.users === s.users ? "same users and follows" : `${g.sizes.users} users, ${g.sizes.follows} follows`;
    lines.push(
      "",
      `Growth: median p50 of ${report.growthRounds} alternating runs at ${g.sizes.messages} messages (${same}) and at ${s.messages}, same load:`,
      "",
      "| timeline | p50 ms, small | p50 ms, large | ratio | target ≤ 1.5 |",
      "| --- | ---: | ---: | ---: | --- |",
      ...g.timelines.map(
        (t) =>
          `| ${t.name} | ${f2(t.small)} | ${f2(t.large)} | ${f2(t.large / t.small)} | ${t.large / t.small <= 1.5 ? "met" : "**missed**"} |`,
      ),
    );
  }
  lines.push("", `Command: \`${report.command}\`, ${report.date}.`);
  return lines.join("\n");
}

/**
 * The Markdown tables of `markdown` with their columns padded to one width, as the project's formatter
 * (Biome) writes them, so that docs/performance.md passes `biome ci` right after `--write`. Cells are
 * padded on the right, or on the left in `---:` columns; the separator row is dashes as wide as its column.
 */
export function alignTables(markdown: string): string {
  const lines = markdown.split("\n");
  const cellsOf = (line: string) =>
    line
      .slice(1, -1)
      .split("|")
      .map((cell) => cell.trim());
  for (let start = 0; start < lines.length; start++) {
    if (!lines[start]?.startsWith("|")) continue;
    let end = start;
    while (lines[end + 1]?.startsWith("|")) end++;
    const rows = lines.slice(start, end + 1).map(cellsOf);
    const separator = rows[1] ?? [];
    const right = separator.map((cell) => cell.endsWith(":"));
    const widths = separator.map((_, i) =>
      Math.max(3, ...rows.filter((_, r) => r !== 1).map((row) => [...(row[i] ?? "")].length)),
    );
    rows.forEach((row, r) => {
      const cells = widths.map((width, i) => {
        if (r === 1) return right[i] ? `${"-".repeat(width - 1)}:` : "-".repeat(width);
        const cell = row[i] ?? "";
        const pad = " ".repeat(width - [...cell].length);
        return right[i] ? pad + cell : cell + pad;
      });
      lines[start + r] = `| ${cells.join(" | ")} |`;
    });
    start = end;
  }
  return lines.join("\n");
}

const START = "<!-- bench:start -->";
const END = "<!-- bench:end -->";

/** Puts the report between the markers of docs/performance.md, keeping the prose around it. */
export function writeDocs(markdown: string, path = join(import.meta.dir, "..", "docs", "performance.md")): void {
  const block = `${START}\n${alignTables(markdown)}\n${END}`;
  const old = existsSync(path) ? readFileSync(path, "utf8") : `# Performance\n\n${START}\n${END}\n`;
  const from = old.indexOf(START);
  const to = old.indexOf(END);
  const text = from >= 0 && to > from ? old.slice(0, from) + block + old.slice(to + END.length) : `${old}\n${block}\n`;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
