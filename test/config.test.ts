import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, DEFAULT_SIM_PASSWORD, DEV_SECRET_KEY, loadConfig } from "../src/config.ts";

const dir = mkdtempSync(join(tmpdir(), "minitwit-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A secret file as Docker mounts it under /run/secrets, trailing newline included. */
function secretFile(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const PRODUCTION = { NODE_ENV: "production", SECRET_KEY: "a production key", SIM_PASSWORD: "sim-secret" };

describe("[config] defaults", () => {
  test("[config] an empty environment gives the documented defaults, frozen", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: "development",
      role: "all",
      port: 5000,
      apiPort: 5001,
      metricsPort: 9464,
      host: "0.0.0.0",
      metricsHost: "127.0.0.1",
      databaseUrl: undefined,
      databasePool: 10,
      dataDir: "./data",
      migrate: true,
      secretKey: DEV_SECRET_KEY,
      simUsername: "simulator",
      simPassword: DEFAULT_SIM_PASSWORD,
      logLevel: "info",
      trustedProxies: ["127.0.0.1", "::1"],
      version: "dev",
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  test("[config] empty strings count as unset", () => {
    const config = loadConfig({ PORT: "", ROLE: "", MIGRATE: "", DATABASE_URL: "", LOG_LEVEL: "" });
    expect(config.port).toBe(5000);
    expect(config.role).toBe("all");
    expect(config.migrate).toBe(true);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.logLevel).toBe("info");
  });
});

describe("[config] parsing", () => {
  test("[config] ROLE accepts web, api and all and refuses anything else", () => {
    expect(loadConfig({ ROLE: "web" }).role).toBe("web");
    expect(loadConfig({ ROLE: "api" }).role).toBe("api");
    expect(loadConfig({ ROLE: "all" }).role).toBe("all");
    expect(() => loadConfig({ ROLE: "worker" })).toThrow(ConfigError);
    expect(() => loadConfig({ ROLE: "Web" })).toThrow('ROLE must be one of all, web, api, not "Web"');
  });

  test("[config] ports are integers from 0 to 65535", () => {
    const config = loadConfig({ PORT: "8080", API_PORT: "0", METRICS_PORT: "65535" });
    expect([config.port, config.apiPort, config.metricsPort]).toEqual([8080, 0, 65535]);
    expect(() => loadConfig({ PORT: "http" })).toThrow('PORT must be an integer from 0 to 65535, not "http"');
    expect(() => loadConfig({ API_PORT: "65536" })).toThrow(ConfigError);
    expect(() => loadConfig({ METRICS_PORT: "-1" })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: "80.5" })).toThrow(ConfigError);
  });

  test("[config] DATABASE_POOL and SESSION_MAX_AGE stay within their ranges", () => {
    expect(loadConfig({ DATABASE_POOL: "25" }).databasePool).toBe(25);
    expect(() => loadConfig({ DATABASE_POOL: "0" })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_POOL: "201" })).toThrow(ConfigError);
    expect(loadConfig({ SESSION_MAX_AGE: "3600" }).sessionMaxAge).toBe(3600);
    expect(() => loadConfig({ SESSION_MAX_AGE: "59" })).toThrow(ConfigError);
  });

  test("[config] MIGRATE reads true/false, 1/0, yes/no, on/off and refuses anything else", () => {
    for (const raw of ["false", "0", "no", "off", "FALSE"]) expect(loadConfig({ MIGRATE: raw }).migrate).toBe(false);
    for (const raw of ["true", "1", "yes", "on", "True"]) expect(loadConfig({ MIGRATE: raw }).migrate).toBe(true);
    expect(() => loadConfig({ MIGRATE: "maybe" })).toThrow('MIGRATE must be true or false, not "maybe"');
  });

  test("[config] LOG_LEVEL takes pino's levels only", () => {
    expect(loadConfig({ LOG_LEVEL: "silent" }).logLevel).toBe("silent");
    expect(loadConfig({ LOG_LEVEL: "debug" }).logLevel).toBe("debug");
    expect(() => loadConfig({ LOG_LEVEL: "verbose" })).toThrow(ConfigError);
  });

  test("[config] TRUSTED_PROXIES is a comma list, trimmed, empty entries dropped", () => {
    expect(loadConfig({ TRUSTED_PROXIES: " 10.0.0.2 , 10.0.0.3,," }).trustedProxies).toEqual(["10.0.0.2", "10.0.0.3"]);
    expect(loadConfig({ TRUSTED_PROXIES: "" }).trustedProxies).toEqual([]);
  });

  test("[config] DATABASE_URL, DATA_DIR, HOST and APP_VERSION pass through", () => {
    const config = loadConfig({
      DATABASE_URL: "postgres://minitwit@db:5432/minitwit",
      DATA_DIR: "/var/lib/minitwit",
      HOST: "127.0.0.1",
      APP_VERSION: "1.2.3",
    });
    expect(config.databaseUrl).toBe("postgres://minitwit@db:5432/minitwit");
    expect(config.dataDir).toBe("/var/lib/minitwit");
    expect(config.host).toBe("127.0.0.1");
    expect(config.version).toBe("1.2.3");
  });

  test("[config] SECRET_KEY shorter than 8 characters is refused", () => {
    expect(() => loadConfig({ SECRET_KEY: "short" })).toThrow("SECRET_KEY must be at least 8 characters");
  });
});

describe("[config] secrets from files", () => {
  test("[config] NAME_FILE is read and trimmed, and wins over NAME", () => {
    const config = loadConfig({
      SECRET_KEY: "from the environment",
      SECRET_KEY_FILE: secretFile("secret_key", "from the secret file\n"),
      SIM_PASSWORD_FILE: secretFile("sim_password", "sim-from-file\n"),
      DATABASE_URL_FILE: secretFile("database_url", "postgres://minitwit:pw@db:5432/minitwit\n"),
    });
    expect(config.secretKey).toBe("from the secret file");
    expect(config.simPassword).toBe("sim-from-file");
    expect(config.databaseUrl).toBe("postgres://minitwit:pw@db:5432/minitwit");
  });

  test("[config] an unreadable NAME_FILE fails fast and names the variable and the file", () => {
    const missing = join(dir, "does-not-exist");
    expect(() => loadConfig({ SECRET_KEY_FILE: missing })).toThrow(ConfigError);
    expect(() => loadConfig({ SECRET_KEY_FILE: missing })).toThrow(`SECRET_KEY_FILE: cannot read ${missing}`);
    expect(() => loadConfig({ DATABASE_URL_FILE: missing })).toThrow("DATABASE_URL_FILE");
  });

  test("[config] production accepts secrets given as files", () => {
    const config = loadConfig({
      NODE_ENV: "production",
      SECRET_KEY_FILE: secretFile("prod_key", "a production key from a file\n"),
      SIM_PASSWORD_FILE: secretFile("prod_sim", "sim-from-a-file\n"),
    });
    expect(config.env).toBe("production");
    expect(config.secretKey).toBe("a production key from a file");
  });
});

describe("[config] production refuses the development defaults", () => {
  test("[config] production starts with its own secrets", () => {
    const config = loadConfig(PRODUCTION);
    expect(config.env).toBe("production");
    expect(config.secretKey).toBe("a production key");
    expect(config.simPassword).toBe("sim-secret");
  });

  test("[config] production without SECRET_KEY is refused", () => {
    expect(() => loadConfig({ ...PRODUCTION, SECRET_KEY: undefined })).toThrow("SECRET_KEY must be set in production");
    expect(() => loadConfig({ ...PRODUCTION, SECRET_KEY: DEV_SECRET_KEY })).toThrow(ConfigError);
  });

  test("[config] production with the default simulator password is refused", () => {
    expect(() => loadConfig({ ...PRODUCTION, SIM_PASSWORD: undefined })).toThrow(
      "SIM_PASSWORD must be set in production",
    );
    expect(() => loadConfig({ ...PRODUCTION, SIM_PASSWORD: DEFAULT_SIM_PASSWORD })).toThrow(ConfigError);
  });

  test("[config] ALLOW_INSECURE_DEFAULTS=true lets production start with the defaults", () => {
    const config = loadConfig({ NODE_ENV: "production", ALLOW_INSECURE_DEFAULTS: "true" });
    expect(config.secretKey).toBe(DEV_SECRET_KEY);
    expect(config.simPassword).toBe(DEFAULT_SIM_PASSWORD);
    expect(() => loadConfig({ NODE_ENV: "production", ALLOW_INSECURE_DEFAULTS: "false" })).toThrow(ConfigError);
  });

  test("[config] outside production the defaults are allowed", () => {
    expect(loadConfig({ NODE_ENV: "test" }).secretKey).toBe(DEV_SECRET_KEY);
    expect(loadConfig({ NODE_ENV: "development" }).simPassword).toBe(DEFAULT_SIM_PASSWORD);
  });
});
