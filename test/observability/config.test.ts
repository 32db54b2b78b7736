import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

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
        for (const target of panel.targets) expect(["prometheus", "postgres"]).toContain(target.datasource.uid);
        if (panel.type === "timeseries") expect(panel.options.legend.showLegend).toBe(true);
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
