// What the long commands (seed, simulate, bench) are doing while they work, on stderr: on a terminal one
// line redrawn in place (phase, count, rate, time left); elsewhere a plain line per phase and at most one
// every few seconds within it; with --json nothing at all. stdout keeps only the result.

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ProgressOptions {
  /** Default process.stderr. */
  stream?: ProgressStream;
  /** Nothing is written (--json). */
  quiet?: boolean;
  /** The command's name, at the start of each line. */
  name: string;
  /** Milliseconds between plain lines within a phase when not on a terminal (default 10 s). */
  every?: number;
  /** Milliseconds between redraws on a terminal (default 100). */
  redraw?: number;
  /** Clock in milliseconds (tests). */
  now?: () => number;
  /** Redraw the terminal line by itself, so that time moves during a long silent step (default true). */
  ticker?: boolean;
}

export interface Progress {
  /** Starts a phase (ending the one before), with the count it will reach when known. */
  phase(name: string, total?: number): void;
  /** How far the phase is, and anything to show after the count (errors). */
  update(done: number, extra?: string): void;
  /** A line that stays (a finding, a result), written above the live line. */
  note(line: string): void;
  /** Ends the last phase. */
  end(): void;
  /** Ends the last phase as failed (the command's error follows on a line of its own). */
  fail(): void;
}

/** 75 s → "1m15s", 7.43 s → "7.4s". */
export function duration(seconds: number): string {
  if (seconds < 9.95) return `${Math.max(0, seconds).toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** "phase 1200/5000 24% 300/s 13s left", or without a total "phase 1200 300/s", or "phase 12s". */
export function describe(
  phase: string,
  state: { done?: number; total?: number; extra?: string; elapsedMs: number },
): string {
  const seconds = state.elapsedMs / 1000;
  if (state.done === undefined) return `${phase} ${duration(seconds)}`;
  const rate = seconds > 0 ? state.done / seconds : 0;
  const parts = [phase];
  if (state.total) {
    parts.push(`${state.done}/${state.total}`, `${Math.floor((state.done / state.total) * 100)}%`);
  } else {
    parts.push(String(state.done));
  }
  parts.push(`${Math.round(rate)}/s`);
  if (state.total && rate > 0 && state.done < state.total)
    parts.push(`${duration((state.total - state.done) / rate)} left`);
  if (state.extra) parts.push(state.extra);
  return parts.join(" ");
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  const tty = stream.isTTY === true;
  const every = options.every ?? 10_000;
  const redraw = options.redraw ?? 100;
  const prefix = `${options.name}: `;
  let phase: string | undefined;
  let total: number | undefined;
  let done: number | undefined;
  let extra: string | undefined;
  let started = now();
  let lastWrite = -Infinity;
  let live = false;
  let timer: ReturnType<typeof setInterval> | undefined;

  const line = () => prefix + describe(phase ?? "", { done, total, extra, elapsedMs: now() - started });
  function draw(): void {
    stream.write(`\r\x1b[K${line()}`);
    live = true;
    lastWrite = now();
  }
  function clear(): void {
    if (live) stream.write("\r\x1b[K");
    live = false;
  }
  function finish(outcome = "done"): void {
    if (phase === undefined) return;
    const seconds = (now() - started) / 1000;
    const count = done === undefined ? "" : ` ${done}${total ? `/${total}` : ""}`;
    clear();
    stream.write(`${prefix}${phase} ${outcome}${count} in ${duration(seconds)}${extra ? ` (${extra})` : ""}\n`);
    phase = undefined;
  }

  function stop(outcome: string): void {
    finish(outcome);
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  }

  if (options.quiet) return { phase() {}, update() {}, note() {}, end() {}, fail() {} };
  return {
    phase(name, count) {
      finish();
      phase = name;
      total = count;
      done = undefined;
      extra = undefined;
      started = now();
      if (tty) {
        draw();
        if (options.ticker !== false && timer === undefined) {
          timer = setInterval(() => phase !== undefined && draw(), 1000);
          timer.unref?.();
        }
      } else {
        stream.write(`${prefix}${name}${count ? ` (${count})` : ""}…\n`);
        lastWrite = now();
      }
    },
    update(count, detail) {
      done = count;
      extra = detail;
      const since = now() - lastWrite;
      if (tty) {
        if (since >= redraw || (total !== undefined && count >= total)) draw();
      } else if (since >= every) {
        stream.write(`${line()}\n`);
        lastWrite = now();
      }
    },
    note(text) {
      clear();
      stream.write(`${text}\n`);
      if (tty && phase !== undefined) draw();
    },
    end() {
      stop("done");
    },
    fail() {
      stop("failed");
    },
  };
}
