// swarm/stack.yml as `docker stack config` resolves it (anchors merged, variables filled): the
// properties deploy.md asks of the stack, so that an edit cannot quietly lose one.
import { beforeAll, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { run } from "../run.ts";

type Service = {
  image: string;
  stop_grace_period?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: { published: number; target: number; mode: string }[];
  healthcheck?: { test: string[] };
  logging?: { driver: string; options: Record<string, string> };
  configs?: { source: string; target: string }[];
  secrets?: { source: string }[];
  deploy?: {
    mode?: string;
    replicas?: number;
    update_config?: { order?: string; failure_action?: string };
    rollback_config?: { order?: string };
    restart_policy?: { condition?: string; max_attempts?: number };
    resources?: { limits?: { cpus?: string; memory?: string } };
    placement?: { constraints?: string[] };
  };
};
type Stack = {
  services: Record<string, Service>;
  configs: Record<string, { name: string; file: string }>;
  secrets: Record<string, { name: string; external: boolean }>;
};

const ROOT = resolve(import.meta.dir, "../..");
let stack: Stack;

async function resolved(...files: string[]): Promise<Stack> {
  const args = files.flatMap((f) => ["-c", f]);
  const { code, stdout, stderr } = await run(["docker", "stack", "config", ...args], { cwd: ROOT });
  if (code !== 0) throw new Error(`docker stack config failed: ${stderr}`);
  return Bun.YAML.parse(stdout) as Stack;
}

beforeAll(async () => {
  stack = await resolved("swarm/stack.yml");
});

const SERVICES = [
  "proxy",
  "web",
  "api",
  "migrate",
  "db",
  "backup",
  "prometheus",
  "grafana",
  "elasticsearch",
  "kibana",
  "filebeat",
];

describe("[stack] services", () => {
  test("[stack] has exactly the agreed services", () => {
    expect(Object.keys(stack.services).sort()).toEqual([...SERVICES].sort());
  });

  test("[stack] only the proxy publishes ports: 80 and 443, in host mode", () => {
    for (const [name, service] of Object.entries(stack.services)) {
      if (name === "proxy") continue;
      expect({ name, ports: service.ports }).toEqual({ name, ports: undefined });
    }
    const ports = stack.services.proxy?.ports ?? [];
    expect(ports.map((p) => [p.published, p.mode])).toEqual([
      [80, "host"],
      [443, "host"],
    ]);
  });

  test("[stack] every image is pinned to a version (the program's by MINITWIT_TAG)", () => {
    for (const [name, service] of Object.entries(stack.services)) {
      const tag = service.image.split(":").at(-1) ?? "";
      if (["web", "api", "migrate"].includes(name)) continue;
      expect({ name, pinned: /\d/.test(tag) }).toEqual({ name, pinned: true });
    }
  });

  test("[stack] every service logs to json-file with rotation and has a memory and CPU limit", () => {
    for (const [name, service] of Object.entries(stack.services)) {
      expect({ name, driver: service.logging?.driver }).toEqual({ name, driver: "json-file" });
      expect(service.logging?.options["max-size"]).toBeTruthy();
      expect(service.logging?.options["max-file"]).toBeTruthy();
      expect({ name, memory: Boolean(service.deploy?.resources?.limits?.memory) }).toEqual({ name, memory: true });
      expect({ name, cpus: Boolean(service.deploy?.resources?.limits?.cpus) }).toEqual({ name, cpus: true });
    }
  });
});

describe("[stack] web and api", () => {
  for (const name of ["web", "api"]) {
    test(`[stack] ${name}: several replicas, ROLE=${name}, MIGRATE=false, secrets from files, production`, () => {
      const service = stack.services[name] as Service;
      expect(service.deploy?.replicas).toBeGreaterThanOrEqual(2);
      expect(service.environment).toMatchObject({
        ROLE: name,
        MIGRATE: "false",
        NODE_ENV: "production",
        SECRET_KEY_FILE: "/run/secrets/secret_key",
        SIM_PASSWORD_FILE: "/run/secrets/sim_password",
        DATABASE_URL_FILE: "/run/secrets/database_url",
      });
      expect(service.environment?.SECRET_KEY).toBeUndefined();
    });

    test(`[stack] ${name}: rolling update starts the new task first and rolls back on failure`, () => {
      const deploy = (stack.services[name] as Service).deploy;
      expect(deploy?.update_config).toMatchObject({ order: "start-first", failure_action: "rollback" });
      expect(deploy?.rollback_config?.order).toBe("start-first");
    });

    test(`[stack] ${name}: drains on SIGTERM longer than the proxy caches DNS, and Swarm waits for it`, async () => {
      const service = stack.services[name] as Service;
      const delay = Number(service.environment?.SHUTDOWN_DELAY_MS);
      const grace = Number(service.environment?.SHUTDOWN_GRACE_MS ?? 10_000);
      const nginx = await Bun.file(`${ROOT}/swarm/nginx.conf`).text();
      const valid = Number(/resolver 127\.0\.0\.11 valid=(\d+)s/.exec(nginx)?.[1]);
      expect(valid).toBeGreaterThan(0);
      expect(delay).toBeGreaterThanOrEqual(valid * 1000 + 2000);
      const stop = /^(\d+)s$/.exec(service.stop_grace_period ?? "")?.[1];
      expect(Number(stop) * 1000).toBeGreaterThan(delay + grace);
      expect(service.environment?.METRICS_HOST).toBe("0.0.0.0");
    });

    test(`[stack] ${name}: health check by the executable's own healthcheck command`, () => {
      expect((stack.services[name] as Service).healthcheck?.test).toEqual(["CMD", "/app/minitwit", "healthcheck"]);
    });
  }

  test("[stack] migrate: a one-shot job running `minitwit migrate` on the same image, retried until db is up", () => {
    const migrate = stack.services.migrate as Service;
    expect(migrate.deploy?.mode).toBe("replicated-job");
    // A first deploy starts it before `db` resolves: without retries it stays failed.
    expect(migrate.deploy?.restart_policy?.condition).toBe("on-failure");
    expect(migrate.deploy?.restart_policy?.max_attempts).toBeGreaterThanOrEqual(10);
    expect(migrate.command).toEqual(["migrate"]);
    expect(migrate.image).toBe(stack.services.web?.image as string);
  });
});

describe("[stack] state, monitoring and logs", () => {
  test("[stack] db and backup are pinned to the database node; filebeat runs on every node", () => {
    expect(stack.services.db?.deploy?.placement?.constraints).toContain("node.labels.minitwit.db == true");
    expect(stack.services.backup?.deploy?.placement?.constraints).toContain("node.labels.minitwit.db == true");
    expect(stack.services.filebeat?.deploy?.mode).toBe("global");
  });

  test("[stack] configs and secrets have versioned names", () => {
    for (const config of Object.values(stack.configs)) expect(config.name).toMatch(/^minitwit_[a-z_]+_v1$/);
    for (const secret of Object.values(stack.secrets)) {
      expect(secret.name).toMatch(/^minitwit_[a-z_]+_v\d+$/);
      expect(secret.external).toBe(true);
    }
  });

  test("[stack] Grafana and Prometheus get the observability/ files", () => {
    const files = Object.values(stack.configs).map((c) => c.file.replace(`${ROOT}/`, ""));
    expect(files).toContain("observability/prometheus/prometheus.yml");
    expect(files).toContain("observability/prometheus/rules.yml");
    expect(files).toContain("observability/grafana/provisioning/datasources/datasources.yml");
    expect(files).toContain("observability/filebeat/filebeat.yml");
    const grafana = (stack.services.grafana?.configs ?? []).map((c) => c.target);
    expect(grafana).toContain("/etc/grafana/provisioning/dashboards/dashboards.yml");
    expect(grafana.filter((t) => t.startsWith("/var/lib/grafana/dashboards/")).length).toBe(3);
  });

  test("[stack] swarm/tls.yml adds HTTPS to the proxy without changing anything else", async () => {
    const tls = await resolved("swarm/stack.yml", "swarm/tls.yml");
    expect((tls.services.proxy?.configs ?? []).map((c) => c.target)).toEqual([
      "/etc/nginx/nginx.conf",
      "/etc/nginx/tls.d/minitwit.conf",
    ]);
    expect((tls.services.proxy?.secrets ?? []).map((s) => s.source)).toEqual(["tls_cert", "tls_key"]);
    expect(tls.services.web).toEqual(stack.services.web as Service);
  });
});
