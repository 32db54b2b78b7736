// A typed raw-SQL query for Grafana's PostgreSQL data source: the foundation SDK has no builder for it.
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import type * as common from "@grafana/grafana-foundation-sdk/common";
import { POSTGRES_SOURCE, sourceRef } from "./datasources.ts";

const POSTGRES: common.DataSourceRef = sourceRef(POSTGRES_SOURCE);

export type SqlFormat = "table" | "time_series";

export interface PostgresQuery extends cog.Dataquery {
  refId: string;
  datasource: common.DataSourceRef;
  editorMode: "code";
  format: SqlFormat;
  rawQuery: true;
  rawSql: string;
}

export class PostgresQueryBuilder implements cog.Builder<cog.Dataquery> {
  private readonly internal: Omit<PostgresQuery, "_implementsDataqueryVariant">;

  constructor(rawSql: string) {
    this.internal = { refId: "A", datasource: POSTGRES, editorMode: "code", format: "table", rawQuery: true, rawSql };
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  format(format: SqlFormat): this {
    this.internal.format = format;
    return this;
  }

  build(): PostgresQuery {
    return { ...this.internal, _implementsDataqueryVariant() {} };
  }
}

/** Expands the Grafana macros the dashboards use, as Grafana does, so tests can run the SQL. */
export function expandMacros(sql: string, from: Date, to: Date): string {
  const iso = (d: Date) => `'${d.toISOString()}'`;
  const seconds = (interval: string) => {
    const m = /^'?(\d+)([smhd])'?$/.exec(interval.trim());
    if (!m) throw new Error(`unsupported interval ${interval}`);
    return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "s" | "m" | "h" | "d"];
  };
  return sql
    .replace(/\$__timeFilter\(([^)]+)\)/g, (_, col: string) => `${col.trim()} BETWEEN ${iso(from)} AND ${iso(to)}`)
    .replace(
      /\$__timeGroupAlias\(([^,]+),([^)]+)\)/g,
      (_, col: string, interval: string) =>
        `to_timestamp(floor(extract(epoch from ${col.trim()}) / ${seconds(interval)}) * ${seconds(interval)}) AS "time"`,
    )
    .replace(/\$__timeFrom\(\)/g, iso(from))
    .replace(/\$__timeTo\(\)/g, iso(to));
}
