// Service level: 99.9 % of simulator API requests answered below 0.3 s without a 5xx, over 30 days.
import { board, graph, prom, single } from "./panels.ts";

export const SLO_TARGET = 0.999;
const BUDGET = 1 - SLO_TARGET;

export function serviceLevelDashboard() {
  return board(
    "minitwit-service-level",
    "MiniTwit / Service level",
    "SLO: 99.9 % of API requests answered below 0.3 s without a 5xx, over 30 days",
  )
    .withPanel(
      single(
        1,
        "API requests good (30 days)",
        "Share answered below 0.3 s without a 5xx; the target is 99.9 %",
        [prom("1 - slo:api_errors:ratio_rate30d", "good")],
        {
          unit: "percentunit",
          decimals: 3,
          thresholds: [
            { value: null, color: "red" },
            { value: SLO_TARGET, color: "green" },
          ],
        },
      ),
    )
    .withPanel(
      single(
        2,
        "Error budget left (30 days)",
        "1 - (bad share / 0.1 %): below 0 the SLO is missed",
        [prom(`1 - slo:api_errors:ratio_rate30d / ${BUDGET}`, "budget left")],
        {
          unit: "percentunit",
          decimals: 1,
          thresholds: [
            { value: null, color: "red" },
            { value: 0.25, color: "orange" },
            { value: 0.5, color: "green" },
          ],
        },
      ),
    )
    .withPanel(
      single(
        3,
        "Burn rate (1 hour)",
        "How fast the budget burns: 1 spends it in exactly 30 days; 14.4 pages",
        [prom(`slo:api_errors:ratio_rate1h / ${BUDGET}`, "1h")],
        {
          decimals: 2,
          thresholds: [
            { value: null, color: "green" },
            { value: 6, color: "orange" },
            { value: 14.4, color: "red" },
          ],
        },
      ),
    )
    .withPanel(
      single(
        4,
        "Alerts firing",
        "MiniTwit alerts firing now (see docs/observability.md)",
        [prom('count(ALERTS{alertstate="firing"}) or vector(0)', "firing")],
        {
          thresholds: [
            { value: null, color: "green" },
            { value: 1, color: "red" },
          ],
        },
      ),
    )
    .withPanel(
      graph(
        5,
        "Burn rates",
        "Fast alert: 1 h and 5 m both above 14.4; slow alert: 6 h and 30 m both above 6",
        [
          prom(`slo:api_errors:ratio_rate5m / ${BUDGET}`, "5m"),
          prom(`slo:api_errors:ratio_rate30m / ${BUDGET}`, "30m"),
          prom(`slo:api_errors:ratio_rate1h / ${BUDGET}`, "1h"),
          prom(`slo:api_errors:ratio_rate6h / ${BUDGET}`, "6h"),
        ],
        { size: { w: 24, h: 8 }, min: 0 },
      ),
    )
    .withPanel(
      graph(
        6,
        "API bad requests share",
        "Slow (over 0.3 s) or 5xx, over 5 minutes and 1 hour",
        [prom("slo:api_errors:ratio_rate5m", "5m"), prom("slo:api_errors:ratio_rate1h", "1h")],
        { unit: "percentunit", min: 0 },
      ),
    )
    .withPanel(
      graph(
        7,
        "API requests per second by status",
        "What the simulator gets",
        [prom('sum by (status) (rate(http_request_duration_seconds_count{service="api"}[5m]))', "{{status}}")],
        { unit: "reqps", min: 0 },
      ),
    );
}
