// `npm run soak`: the course's scenario replayed in a loop against a running server for a given time,
// with readers beside the writers, reporting per interval (a minute by default) the errors, p50 and p99
// of writes and of reads, and the server's resident memory; then whether the run held: no error, the
// last intervals' p99 within 1.5x of the first ones', and memory flat after the first ones (warm-up).
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { positiveInteger, runCommand } from "./command.ts";
import { createProgress } from "./progress.ts";
import { type Action, DEFAULT_SCENARIO, parseScenario, percentile, renamed, simulate } from "./simulate.ts";

const USAGE = `usage: npm run soak -- [--base URL] [--web URL] [--metrics URL] [--minutes N] [--json]
  --base URL         API base URL (default http://localhost:5001)
  --web URL          web base URL: readers fetch its /public too (default: API reads only)
  --metrics URL      the server's /metrics, read every interval for process_resident_memory_bytes
  --minutes N        how long (default 30)
  --interval S       seconds per reported interval (default 60)
  --concurrency N    writing clients (default 8)
  --readers N        reading clients (default 2)
  --timeout MS       per-request timeout (default 300, as the course's simulator)
  --scenario FILE    tab-separated scenario (default ${DEFAULT_SCENARIO})
  --password PWD     simulator password (default super_safe!)
  --json             print the result as JSON on stdout, and no progress on stderr
Each pass of the scenario renames its users ("soak<run>-<pass> <name>"), so every pass registers anew
and a soak can run again against the same database. Exit code 0 when the run held, 1 when not.`;

/** Allowed growth of the p99 from the first window to the last, and of resident memory after warm-up. */
export const P99_GROWTH = 1.5;
export const MEMORY_GROWTH = 1.1;

export interface Interval {
  /** Seconds from the start at which the interval ends. */
  end: number;
  writes: Counts;
  reads: Counts;
  /** The server's resident memory in MB at the interval's end, when --metrics was given. */
  rssMb?: number;
}

interface Counts {
  count: number;
  errors: number;
  p50: number;
  p99: number;
}

export interface SoakResult {
  intervals: Interval[];
  /** Intervals in each of the windows compared (first and last). */
  window: number;
  errors: number;
  writes: number;
  reads: number;
  passes: number;
  /** The p99 of writes in the first and the last window (ms). */
  p99: { first: number; last: number };
  /** Median resident memory (MB) in the window after the first (warm-up) and in the last, when measured. */
  memory?: { afterWarmUp: number; last: number };
  held: boolean;
  reasons: string[];
}

class Bucket {
  times: number[] = [];
  errors = 0;
  add(ms: number, failed: boolean): void {
    this.times.push(ms);
    if (failed) this.errors++;
  }
  counts(): Counts {
    const sorted = Float64Array.from(this.times).sort();
    return { count: sorted.length, errors: this.errors, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  }
}

/** process_resident_memory_bytes from a Prometheus text page, in MB. */
export function residentMb(metricsText: string): number | undefined {
  const line = metricsText.split("\n").find((l) => l.startsWith("process_resident_memory_bytes "));
  const value = Number(line?.split(" ")[1]);
  return Number.isFinite(value) ? Math.round((value / 1_048_576) * 10) / 10 : undefined;
}

/** The median of the figures there are; undefined when none. */
function median(values: (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  if (known.length === 0) return undefined;
  const mid = Math.floor(known.length / 2);
  return known.length % 2 ? known[mid] : Math.round(((known[mid - 1] as number) + (known[mid] as number)) * 5) / 10;
}

/** The p99 over several intervals' worth of samples (the intervals' own p99s would not add up). */
function windowP99(buckets: Bucket[]): number {
  return percentile(Float64Array.from(buckets.flatMap((b) => b.times)).sort(), 99);
}

export interface SoakOptions {
  base: string;
  web?: string;
  metrics?: string;
  seconds: number;
  intervalSeconds: number;
  concurrency: number;
  readers: number;
  timeoutMs: number;
  actions: Action[];
  password?: string;
  onInterval?: (interval: Interval, index: number) => void;
}

export async function soak(options: SoakOptions): Promise<SoakResult> {
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const over = () => elapsed() >= options.seconds;
  const count = Math.max(1, Math.ceil(options.seconds / options.intervalSeconds));
  const writes = Array.from({ length: count }, () => new Bucket());
  const reads = Array.from({ length: count }, () => new Bucket());
  const index = () => Math.min(count - 1, Math.floor(elapsed() / options.intervalSeconds));
  const auth = `Basic ${btoa(`simulator:${options.password ?? "super_safe!"}`)}`;
  const run = Date.now().toString(36);

  let passes = 0;
  async function writers(): Promise<void> {
    while (!over()) {
      await simulate({
        bases: [options.base],
        actions: renamed(options.actions, `soak${run}-${passes} `),
        concurrency: options.concurrency,
        timeoutMs: options.timeoutMs,
        password: options.password,
        shouldStop: over,
        onAnswer: (ms, failed) => writes[index()]?.add(ms, failed),
      });
      passes++;
    }
  }

  const readUrls = [`${options.base}/msgs?no=20`, ...(options.web ? [`${options.web}/public`] : [])];
  async function reader(n: number): Promise<void> {
    for (let i = n; !over(); i++) {
      const url = readUrls[i % readUrls.length] as string;
      const start = performance.now();
      let failed = true;
      try {
        const response = await fetch(url, {
          headers: { Authorization: auth },
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        await response.arrayBuffer();
        failed = response.status !== 200;
      } catch {
        // a timeout or a refused connection: counted as an error below
      }
      reads[index()]?.add(performance.now() - start, failed);
    }
  }

  const memory: (number | undefined)[] = [];
  const intervals: Interval[] = [];
  async function sampler(): Promise<void> {
    for (let i = 0; i < count; i++) {
      const end = Math.min(options.seconds, (i + 1) * options.intervalSeconds);
      await Bun.sleep(Math.max(0, end * 1000 - (performance.now() - started)));
      let rssMb: number | undefined;
      if (options.metrics) {
        rssMb = await fetch(options.metrics, { signal: AbortSignal.timeout(5000) })
          .then((r) => r.text())
          .then(residentMb)
          .catch(() => undefined);
      }
      memory.push(rssMb);
      // The interval's requests still in flight finish within the timeout: report it after that.
      await Bun.sleep(options.timeoutMs + 50);
      const interval = { end, writes: writes[i]?.counts() as Counts, reads: reads[i]?.counts() as Counts, rssMb };
      intervals.push(interval);
      options.onInterval?.(interval, i);
    }
  }

  await Promise.all([writers(), ...Array.from({ length: options.readers }, (_, n) => reader(n)), sampler()]);

  // The first and last windows: five intervals each, or a third of the run when it is shorter.
  const window = Math.max(1, Math.min(5, Math.floor(count / 3)));
  const p99 = { first: windowP99(writes.slice(0, window)), last: windowP99(writes.slice(-window)) };
  const errors = intervals.reduce((sum, i) => sum + i.writes.errors + i.reads.errors, 0);
  const reasons: string[] = [];
  if (errors > 0) reasons.push(`${errors} errors`);
  if (p99.last > P99_GROWTH * p99.first)
    reasons.push(`write p99 grew from ${p99.first} ms (first window) to ${p99.last} ms (last)`);
  // Resident memory moves by several MB from one sample to the next (the collector's rhythm): the
  // median of the window after warm-up against the median of the last window, not single samples.
  let mem: SoakResult["memory"];
  const afterWarmUp = median(memory.slice(window, 2 * window));
  const last = median(memory.slice(-window));
  if (options.metrics) {
    if (afterWarmUp === undefined || last === undefined) reasons.push(`no memory figure from ${options.metrics}`);
    else {
      mem = { afterWarmUp, last };
      if (last > MEMORY_GROWTH * afterWarmUp)
        reasons.push(`resident memory grew from ${afterWarmUp} MB after warm-up to ${last} MB (medians)`);
    }
  }
  return {
    intervals,
    window,
    errors,
    writes: intervals.reduce((sum, i) => sum + i.writes.count, 0),
    reads: intervals.reduce((sum, i) => sum + i.reads.count, 0),
    passes,
    p99,
    memory: mem,
    held: reasons.length === 0,
    reasons,
  };
}

function formatInterval(i: Interval): string {
  const part = (name: string, c: Counts) => `${name} ${c.count} (${c.errors} errors) p50 ${c.p50} p99 ${c.p99} ms`;
  const rss = i.rssMb === undefined ? "" : ` | rss ${i.rssMb} MB`;
  return `${String(i.end).padStart(5)} s: ${part("writes", i.writes)} | ${part("reads", i.reads)}${rss}`;
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      base: { type: "string" },
      web: { type: "string" },
      metrics: { type: "string" },
      minutes: { type: "string" },
      interval: { type: "string" },
      concurrency: { type: "string" },
      readers: { type: "string" },
      timeout: { type: "string" },
      scenario: { type: "string" },
      password: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const trim = (url: string | undefined) => url?.trim().replace(/\/+$/, "");
  const minutes = positiveInteger(values.minutes, "minutes") ?? 30;
  const progress = createProgress({ name: "soak", quiet: values.json });
  progress.phase(`soaking for ${minutes} min`);
  const result = await soak({
    base: trim(values.base) ?? "http://localhost:5001",
    web: trim(values.web),
    metrics: values.metrics?.trim(),
    seconds: minutes * 60,
    intervalSeconds: positiveInteger(values.interval, "interval") ?? 60,
    concurrency: positiveInteger(values.concurrency, "concurrency") ?? 8,
    readers: values.readers === "0" ? 0 : (positiveInteger(values.readers, "readers") ?? 2),
    timeoutMs: positiveInteger(values.timeout, "timeout") ?? 300,
    actions: parseScenario(readFileSync(values.scenario ?? DEFAULT_SCENARIO, "utf8")),
    password: values.password,
    onInterval: (interval) => progress.note(formatInterval(interval)),
  });
  progress.end();
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(
      `soak: ${result.writes} writes and ${result.reads} reads in ${result.passes} passes, ${result.errors} errors; ` +
        `write p99 ${result.p99.first} ms (first ${result.window} intervals) -> ${result.p99.last} ms (last ${result.window})` +
        (result.memory
          ? `; rss ${result.memory.afterWarmUp} MB after warm-up -> ${result.memory.last} MB in the last (medians)`
          : ""),
    );
    console.log(result.held ? "soak: held" : `soak: did not hold: ${result.reasons.join("; ")}`);
  }
  return result.held ? 0 : 1;
}

if (import.meta.main) await runCommand(main, USAGE);
