// The dashboards' two data sources, named through dashboard variables (defaulting to the uids the stack
// provisions) and the `__inputs` of Grafana's import dialog, so that the same JSON is provisioned by the
// stack and imports by hand into any Grafana.
import type * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";

export interface DataSource {
  /** The variable's name, and the import dialog's input of the same name. */
  input: string;
  label: string;
  /** The plugin id. */
  type: string;
  /** The uid in observability/grafana/provisioning/datasources/datasources.yml. */
  uid: string;
}

export const PROMETHEUS_SOURCE: DataSource = {
  input: "DS_PROMETHEUS",
  label: "Prometheus",
  type: "prometheus",
  uid: "prometheus",
};
export const POSTGRES_SOURCE: DataSource = {
  input: "DS_POSTGRES",
  label: "PostgreSQL",
  type: "grafana-postgresql-datasource",
  uid: "postgres",
};
const SOURCES = [PROMETHEUS_SOURCE, POSTGRES_SOURCE];

/** What panels and targets name: the variable, never a uid. */
export function sourceRef(source: DataSource): common.DataSourceRef {
  return { type: source.type, uid: `\${${source.input}}` };
}

/** Grafana's built-in "mixed" source of panels with targets on both; no data source of anyone's. */
export const MIXED: common.DataSourceRef = { type: "datasource", uid: "-- Mixed --" };

function variable(source: DataSource): dashboard.VariableModel {
  return new dashboard.DatasourceVariableBuilder(source.input)
    .label(source.label)
    .description(`The ${source.label} data source of every panel`)
    .type(source.type)
    .current({ selected: true, text: source.label, value: source.uid })
    .build();
}

export interface ImportableDashboard extends dashboard.Dashboard {
  __inputs: {
    name: string;
    label: string;
    description: string;
    type: "datasource";
    pluginId: string;
    pluginName: string;
  }[];
}

/**
 * The dashboard with a variable and an import input for each data source its panels use. Provisioned,
 * Grafana resolves `${DS_PROMETHEUS}` through the variable (default: the provisioned uid); imported by
 * hand, the import dialog asks for each input and writes the chosen data source in its place.
 */
export function importable(built: dashboard.Dashboard): ImportableDashboard {
  const text = JSON.stringify(built.panels ?? []);
  const used = SOURCES.filter((s) => text.includes(`"\${${s.input}}"`));
  const { templating, ...rest } = built;
  return {
    __inputs: used.map((s) => ({
      name: s.input,
      label: s.label,
      description: `The ${s.label} data source with MiniTwit's ${s === PROMETHEUS_SOURCE ? "metrics" : "database"}`,
      type: "datasource",
      pluginId: s.type,
      pluginName: s.label,
    })),
    ...rest,
    templating: { ...templating, list: [...used.map(variable), ...(templating?.list ?? [])] },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: dashboard JSON as read back from a file
type Json = Record<string, any>;

/**
 * The dashboard as the provisioned Grafana runs it: every data-source variable in a panel or target
 * replaced by the variable's default. Tests check the queries after this.
 */
export function resolveDataSources<T extends Json>(board: T): T {
  const defaults = new Map<string, string>(
    (board.templating?.list ?? [])
      .filter((v: Json) => v.type === "datasource")
      .map((v: Json) => [`\${${v.name}}`, v.current?.value]),
  );
  const resolve = (ref: Json | undefined) =>
    ref && defaults.has(ref.uid) ? { ...ref, uid: defaults.get(ref.uid) } : ref;
  return {
    ...board,
    panels: (board.panels ?? []).map((p: Json) => ({
      ...p,
      datasource: resolve(p.datasource),
      targets: (p.targets ?? []).map((t: Json) => ({ ...t, datasource: resolve(t.datasource) })),
    })),
  };
}
