// A worker thread that asks GET /health one request after another until told to stop, then reports
// how many answers it got and the slowest; it runs beside the tested program's event loop, not on it.
interface Start {
  url: string;
  /** Pause between two probes, in milliseconds. */
  pause: number;
}

let running = true;
const worker = self as unknown as Worker;
worker.onmessage = async (event: MessageEvent<Start | "stop">) => {
  if (event.data === "stop") {
    running = false;
    return;
  }
  const { url, pause } = event.data;
  const times: number[] = [];
  let failures = 0;
  while (running) {
    const start = performance.now();
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status !== 200) failures++;
    } catch {
      failures++;
    }
    times.push(performance.now() - start);
    await Bun.sleep(pause);
  }
  times.sort((x, y) => x - y);
  worker.postMessage({
    count: times.length,
    failures,
    max: times.at(-1) ?? 0,
    p99: times[Math.floor(times.length * 0.99)] ?? 0,
  });
};
