import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { resolveDataSources } from "../../observability/dashboards/datasources.ts";

const ROOT = join(import.meta.dir, "..", "..");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const yaml = (path: string) => Bun.YAML.parse(read(path)) as Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: parsed configuration files, checked field by field below
type Any = Record<string, any>;

describe("[observability] configuration files", () => {
  test("[observability] Prometheus scrapes every web and API task through Swarm DNS, and itself", () => {
    const config = yaml("observability/prometheus/prometheus.yml") as Any;
    const jobs = Object.fromEntries(config.scrape_configs.map((j: Any) => [j.job_name, j]));
    expect(Object.keys(jobs).sort()).toEqual(["api", "prometheus", "web"]);
    for (const name of ["web", "api"]) {
      expect(jobs[name].dns_sd_configs[0]).toMatchObject({ names: [`tasks.${name}`], type: "A", port: 9464 });
    }
    expect(config.rule_files).toEqual(["rules.yml"]);
  });

  test("[observability] Grafana provisions both data sources by uid, and every dashboard target uses one", () => {
    const sources = (yaml("observability/grafana/provisioning/datasources/datasources.yml") as Any).datasources;
    expect(sources.map((s: Any) => [s.uid, s.type])).toEqual([
      ["prometheus", "prometheus"],
      ["postgres", "grafana-postgresql-datasource"],
    ]);
    const provider = (yaml("observability/grafana/provisioning/dashboards/dashboards.yml") as Any).providers[0];
    expect(provider.type).toBe("file");
    for (const file of readdirSync(join(ROOT, "observability/grafana/dashboards"))) {
      const board = JSON.parse(read(`observability/grafana/dashboards/${file}`));
      expect(board.uid).toStartWith("minitwit-");
      const ids = board.panels.map((p: Any) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const panel of board.panels) {
        const refIds = panel.targets.map((t: Any) => t.refId);
        expect(new Set(refIds).size).toBe(refIds.length);
        if (panel.type === "timeseries") expect(panel.options.legend.showLegend).toBe(true);
      }
      // Resolved as provisioned, every target lands on a provisioned data source of its type.
      for (const panel of resolveDataSources(board).panels) {
        for (const target of panel.targets) {
          expect([
            ["prometheus", "prometheus"],
            ["grafana-postgresql-datasource", "postgres"],
          ]).toContainEqual([target.datasource.type, target.datasource.uid]);
        }
      }
    }
  });

  test("[observability] no panel or target names a fixed data-source uid: variables and import inputs do", () => {
    const variables: Record<string, [string, string]> = {
      DS_PROMETHEUS: ["prometheus", "prometheus"],
      DS_POSTGRES: ["grafana-postgresql-datasource", "postgres"],
    };
    for (const file of readdirSync(join(ROOT, "observability/grafana/dashboards"))) {
      const board = JSON.parse(read(`observability/grafana/dashboards/${file}`));
      const used = new Set<string>();
      const named = (ref: Any, where: string) => {
        if (ref.type === "datasource" && ref.uid === "-- Mixed --") return; // Grafana's built-in, no one's data source
        const name = /^\$\{(DS_[A-Z]+)\}$/.exec(ref.uid)?.[1];
        expect(name, `${where}: ${ref.uid}`).toBeDefined();
        expect(variables[name as string]?.[0], where).toBe(ref.type);
        used.add(name as string);
      };
      for (const panel of board.panels) {
        named(panel.datasource, `${file} #${panel.id}`);
        for (const target of panel.targets) named(target.datasource, `${file} #${panel.id} ${target.refId}`);
      }
      const list = board.templating.list.filter((v: Any) => v.type === "datasource");
      expect(list.map((v: Any) => v.name).sort(), file).toEqual([...used].sort());
      for (const v of list) {
        expect([v.query, v.current.value]).toEqual(variables[v.name] as [string, string]);
      }
      expect(board.__inputs.map((i: Any) => [i.name, i.type, i.pluginId]).sort()).toEqual(
        [...used].sort().map((name) => [name, "datasource", variables[name]?.[0]]),
      );
    }
    expect(JSON.parse(read("observability/grafana/dashboards/business.json")).__inputs).toHaveLength(2);
  });

  test("[observability] imported by hand, every panel and target takes the data sources chosen in the dialog", () => {
    // What Grafana's import does with the answers to __inputs: each ${NAME} replaced by the chosen uid.
    const chosen: Record<string, string> = { DS_PROMETHEUS: "their-prometheus", DS_POSTGRES: "their-postgres" };
    for (const file of readdirSync(join(ROOT, "observability/grafana/dashboards"))) {
      const text = read(`observability/grafana/dashboards/${file}`).replace(
        /\$\{(DS_[A-Z]+)\}/g,
        (whole, name: string) => chosen[name] ?? whole,
      );
      const board = JSON.parse(text);
      for (const panel of board.panels) {
        for (const target of panel.targets) {
          expect(["their-prometheus", "their-postgres"], `${file} #${panel.id}`).toContain(target.datasource.uid);
        }
      }
    }
  });

  test("[observability] Filebeat reads container stdout as ndjson with expanded keys, MiniTwit's services only", () => {
    const config = yaml("observability/filebeat/filebeat.yml") as Any;
    const input = config["filebeat.inputs"][0];
    expect(input.type).toBe("filestream");
    expect(input.paths).toEqual(["/var/lib/docker/containers/*/*.log"]);
    expect(input.parsers[0].container.stream).toBe("stdout");
    expect(input.parsers[1].ndjson).toMatchObject({ target: "", expand_keys: true });
    expect(input.processors[0]).toHaveProperty("add_docker_metadata");
    const keep = input.processors[1].drop_event.when.not.regexp["container.labels.com_docker_swarm_service_name"];
    const pattern = new RegExp(keep);
    expect(["minitwit_web", "minitwit_api"].every((s) => pattern.test(s))).toBe(true);
    expect(["minitwit_db", "minitwit_proxy", "minitwit_elasticsearch"].some((s) => pattern.test(s))).toBe(false);
    expect(config["setup.ilm.policy_name"]).toBe("minitwit-logs");
  });

  test("[observability] the index lifecycle policy rolls over and deletes old logs", () => {
    const policy = JSON.parse(read("observability/elasticsearch/ilm-policy.json")).policy;
    expect(policy.phases.hot.actions.rollover.max_age).toBe("1d");
    expect(policy.phases.delete.min_age).toBe("7d");
    expect(policy.phases.delete.actions).toHaveProperty("delete");
  });

  test("[observability] the Kibana objects import as one data view and saved searches on it", () => {
    const objects = read("observability/kibana/minitwit.ndjson")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Any);
    const view = objects.find((o) => o.type === "index-pattern") as Any;
    expect(view.attributes.timeFieldName).toBe("@timestamp");
    const searches = objects.filter((o) => o.type === "search");
    expect(searches.map((s) => s.id)).toContain("minitwit-access-log");
    for (const search of searches) {
      expect(search.references[0].id).toBe(view.id);
      const source = JSON.parse(search.attributes.kibanaSavedObjectMeta.searchSourceJSON);
      expect(source.query.query).toContain('event.dataset : "minitwit.access"');
    }
  });
});
