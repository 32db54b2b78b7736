// Infrastructure: is every replica up, how busy, how fast, and how the database is doing.
import { board, graph, prom, single } from "./panels.ts";

const RATE = "rate(http_request_duration_seconds_count[5m])";
const byClass = (service: string) =>
  `sum by (route, class) (label_replace(${RATE.replace("count[", `count{service="${service}"}[`)}, "class", "\${1}xx", "status", "(.).."))`;
const quantile = (q: number) =>
  `histogram_quantile(${q}, sum by (service, le) (rate(http_request_duration_seconds_bucket[5m])))`;

export function infrastructureDashboard() {
  return board(
    "minitwit-infrastructure",
    "MiniTwit / Infrastructure",
    "Replicas, CPU, memory, requests, latency, database",
  )
    .withPanel(
      single(1, "Replicas up", "Scraped web and API tasks answering (Swarm DNS discovery)", [
        prom('sum by (job) (up{job=~"web|api"})', "{{job}}"),
      ]),
    )
    .withPanel(
      single(2, "Requests per second", "All services, last 5 minutes", [prom(`sum(${RATE})`, "requests/s")], {
        unit: "reqps",
        decimals: 2,
      }),
    )
    .withPanel(
      single(
        3,
        "Error ratio (5xx)",
        "Share of answers that were 5xx, per service (0 when there are none)",
        [prom("service:http_request_errors:ratio_rate5m", "{{service}}")],
        {
          unit: "percentunit",
          decimals: 2,
          thresholds: [
            { value: null, color: "green" },
            { value: 0.001, color: "orange" },
            { value: 0.01, color: "red" },
          ],
        },
      ),
    )
    .withPanel(
      single(4, "Database pool in use", "Busy connections out of the pool, summed over replicas", [
        prom("sum(minitwit_db_pool_connections_in_use)", "in use"),
      ]),
    )
    .withPanel(
      graph(
        5,
        "CPU load percent",
        "CPU used by each replica since the previous scrape (100 = one core)",
        [prom("minitwit_cpu_load_percent", "{{job}} {{instance}}")],
        { unit: "percent", min: 0 },
      ),
    )
    .withPanel(
      graph(
        6,
        "Memory",
        "Resident memory and JavaScript heap per replica",
        [
          prom("process_resident_memory_bytes", "resident {{job}} {{instance}}"),
          prom("nodejs_heap_size_used_bytes", "heap {{job}} {{instance}}"),
        ],
        { unit: "bytes", min: 0 },
      ),
    )
    .withPanel(
      graph(
        7,
        "Event-loop lag",
        "p99 delay of the event loop per replica: high means CPU-bound or blocked",
        [prom("nodejs_eventloop_lag_p99_seconds", "p99 {{job}} {{instance}}")],
        { unit: "s", min: 0 },
      ),
    )
    .withPanel(
      graph(
        8,
        "Latency p50 / p95 / p99 by service",
        "Answer time; the simulator allows 0.3 s",
        [
          prom(quantile(0.5), "p50 {{service}}"),
          prom(quantile(0.95), "p95 {{service}}"),
          prom(quantile(0.99), "p99 {{service}}"),
        ],
        { unit: "s", min: 0 },
      ),
    )
    .withPanel(
      graph(
        9,
        "Web requests by route and status class",
        "Requests per second to the web pages",
        [prom(byClass("web"), "{{route}} {{class}}")],
        { unit: "reqps", min: 0 },
      ),
    )
    .withPanel(
      graph(
        10,
        "API requests by route and status class",
        "Requests per second to the simulator API",
        [prom(byClass("api"), "{{route}} {{class}}")],
        { unit: "reqps", min: 0 },
      ),
    )
    .withPanel(
      graph(
        11,
        "Error ratio by service",
        "5xx share per service (recording rule, 0 when none)",
        [prom("service:http_request_errors:ratio_rate5m", "{{service}}")],
        { unit: "percentunit", min: 0 },
      ),
    )
    .withPanel(
      graph(
        12,
        "Slow answers by service",
        "Share of answers slower than 0.3 s (recording rule)",
        [prom("service:http_request_slow:ratio_rate5m", "{{service}}")],
        { unit: "percentunit", min: 0 },
      ),
    )
    .withPanel(
      graph(
        13,
        "Database query latency p95 by query",
        "Per SQL file; a step up after a deploy names the query",
        [
          prom(
            "histogram_quantile(0.95, sum by (query, le) (rate(minitwit_db_query_duration_seconds_bucket[5m])))",
            "{{query}}",
          ),
        ],
        { unit: "s", min: 0 },
      ),
    )
    .withPanel(
      graph(
        14,
        "Database pool use",
        "Busy connections and pool size per replica",
        [
          prom("minitwit_db_pool_connections_in_use", "in use {{job}} {{instance}}"),
          prom("minitwit_db_pool_connections_max", "size {{job}} {{instance}}"),
        ],
        { min: 0 },
      ),
    )
    .withPanel(
      graph(
        15,
        "Timeline first pages served as kept",
        "Share of first pages of /public, /USERNAME, /msgs and /msgs/USER served without rendering: their messages had not changed",
        [
          prom(
            'sum by (service) (rate(minitwit_timeline_cache_requests_total{result="hit"}[5m])) / sum by (service) (rate(minitwit_timeline_cache_requests_total[5m]))',
            "{{service}}",
          ),
        ],
        { unit: "percentunit", min: 0 },
      ),
    );
}
