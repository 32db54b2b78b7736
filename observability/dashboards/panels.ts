// Panel helpers shared by the three dashboards: explicit ids and refIds, legends on, the two data sources
// named through dashboard variables (datasources.ts).
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";
import { MIXED, POSTGRES_SOURCE, PROMETHEUS_SOURCE, sourceRef } from "./datasources.ts";
import { PostgresQueryBuilder, type SqlFormat } from "./postgres.ts";

const PROMETHEUS = sourceRef(PROMETHEUS_SOURCE);
const POSTGRES = sourceRef(POSTGRES_SOURCE);

export interface Size {
  w: number;
  h: number;
}

/** A PromQL target; refIds are A, B, C… in the order given. */
export function prom(expr: string, legend: string, refId = "A"): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder().datasource(PROMETHEUS).expr(expr).legendFormat(legend).refId(refId).range();
}

export function sql(rawSql: string, format: SqlFormat = "table", refId = "A"): PostgresQueryBuilder {
  return new PostgresQueryBuilder(rawSql).format(format).refId(refId);
}

const REF_IDS = "ABCDEFGHIJ";

type Target = prometheus.DataqueryBuilder | PostgresQueryBuilder;

/** Targets with refIds A, B, C…; the panel's data source is theirs (or Grafana's mixed one). */
function withTargets<
  T extends { withTarget(t: cog.Builder<cog.Dataquery>): T; datasource(d: common.DataSourceRef): T },
>(panel: T, targets: Target[]): T {
  const sources = new Set(targets.map((t) => (t instanceof PostgresQueryBuilder ? POSTGRES.uid : PROMETHEUS.uid)));
  panel.datasource(sources.size > 1 ? MIXED : sources.has(POSTGRES.uid) ? POSTGRES : PROMETHEUS);
  targets.forEach((t, i) => {
    panel.withTarget(t.refId(REF_IDS[i] as string));
  });
  return panel;
}

export function graph(
  id: number,
  title: string,
  description: string,
  targets: Target[],
  options: { unit?: string; size?: Size; min?: number } = {},
): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder()
    .id(id)
    .title(title)
    .description(description)
    .unit(options.unit ?? "short")
    .height(options.size?.h ?? 8)
    .span(options.size?.w ?? 12)
    .lineWidth(1)
    .fillOpacity(10)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom),
    )
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.None));
  if (options.min !== undefined) panel.min(options.min);
  return withTargets(panel, targets);
}

export function single(
  id: number,
  title: string,
  description: string,
  targets: Target[],
  options: { unit?: string; size?: Size; decimals?: number; thresholds?: dashboard.Threshold[] } = {},
): stat.PanelBuilder {
  const panel = new stat.PanelBuilder()
    .id(id)
    .title(title)
    .description(description)
    .unit(options.unit ?? "short")
    .height(options.size?.h ?? 4)
    .span(options.size?.w ?? 6)
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.Value)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false))
    .thresholds(
      new dashboard.ThresholdsConfigBuilder()
        .mode(dashboard.ThresholdsMode.Absolute)
        .steps(options.thresholds ?? [{ value: null, color: "green" }]),
    );
  if (options.decimals !== undefined) panel.decimals(options.decimals);
  return withTargets(panel, targets);
}

export function board(uid: string, title: string, description: string): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(["minitwit"])
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .timezone("utc")
    .refresh("30s")
    .time({ from: "now-6h", to: "now" });
}
