// The simulator's writes at a steady pace beside a measurement: the scenario replayed at N actions per
// second (each user's actions in order), under user names of its own, until stopped.
import type { Result } from "./load.ts";
import { percentiles } from "./load.ts";
import { type Action, renamed, simulate } from "./simulate.ts";

export interface PacedWrites {
  /** Stops taking actions, waits for those under way, and reports them as a row. */
  stop(): Promise<Result & { errorsByKind: Record<string, number> }>;
}

export interface PacedOptions {
  api: string;
  password: string;
  actions: Action[];
  /** Actions per second. */
  rate: number;
  timeoutMs: number;
  /** The row's name, and the prefix that keeps these users apart from the replay's own. */
  name: string;
  prefix: string;
}

export function startPacedWrites(options: PacedOptions): PacedWrites {
  let stopped = false;
  const times: number[] = [];
  let errors = 0;
  const errorsByKind: Record<string, number> = {};
  const started = performance.now();
  const running = (async () => {
    // Pass after pass of the scenario, should a measurement outlast one (259 s at 100 actions/s).
    for (let pass = 0; !stopped; pass++) {
      const summary = await simulate({
        bases: [options.api],
        actions: renamed(options.actions, `${options.prefix}${pass} `),
        concurrency: 32,
        rate: options.rate,
        timeoutMs: options.timeoutMs,
        password: options.password,
        shouldStop: () => stopped,
        onAnswer: (ms, failed) => {
          times.push(ms);
          if (failed) errors++;
        },
      });
      for (const [kind, n] of Object.entries(summary.errorsByKind)) errorsByKind[kind] = (errorsByKind[kind] ?? 0) + n;
    }
  })();
  return {
    async stop() {
      stopped = true;
      await running;
      const seconds = (performance.now() - started) / 1000;
      return {
        name: options.name,
        requests: times.length,
        seconds,
        rate: times.length / seconds,
        ...percentiles(times),
        errors,
        errorsByKind,
      };
    },
  };
}
