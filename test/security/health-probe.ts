// A worker thread that asks GET /health one request after another until told to stop, then reports
// how many answers it got and the slowest. It runs beside the tested program's event loop, not on it.
// On Linux it also reads how long the program's main thread and this thread waited for a CPU during
// each request (/proc schedstat): on a machine loaded by others that wait is the machine's, and the
// rest of the answer's time is what the program itself held it.
import { readFileSync } from "node:fs";

interface Start {
  url: string;
  /** Pause between two probes, in milliseconds. */
  pause: number;
  /** The process id: its main thread is the tested program's event loop. */
  pid: number;
}

/** Milliseconds a thread has waited on a run queue so far (field 2 of schedstat, in ns); 0 without /proc. */
function waited(path: string): number {
  try {
    return Number(readFileSync(path, "utf8").split(" ")[1]) / 1e6;
  } catch {
    return 0;
  }
}

const worker = self as unknown as Worker;
let running = true;
worker.onmessage = async (event: MessageEvent<Start | "stop">) => {
  if (event.data === "stop") {
    running = false;
    return;
  }
  const { url, pause, pid } = event.data;
  const main = `/proc/${pid}/task/${pid}/schedstat`;
  const own = "/proc/thread-self/schedstat";
  const times: number[] = [];
  const held: number[] = [];
  let failures = 0;
  while (running) {
    const before = waited(main) + waited(own);
    const start = performance.now();
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status !== 200) failures++;
    } catch {
      failures++;
    }
    const ms = performance.now() - start;
    times.push(ms);
    held.push(Math.max(0, ms - (waited(main) + waited(own) - before)));
    await Bun.sleep(pause);
  }
  times.sort((x, y) => x - y);
  held.sort((x, y) => x - y);
  worker.postMessage({
    count: times.length,
    failures,
    max: times.at(-1) ?? 0,
    p99: times[Math.floor(times.length * 0.99)] ?? 0,
    heldMax: held.at(-1) ?? 0,
  });
};
