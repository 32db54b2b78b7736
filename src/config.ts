// The only reader of the environment: defaults, ranges and secrets resolved once, frozen.
import { readFileSync } from "node:fs";

export const DEV_SECRET_KEY = "development key";
export const DEFAULT_SIM_PASSWORD = "super_safe!";

export type Role = "all" | "web" | "api";

export interface Config {
  readonly env: string;
  readonly role: Role;
  readonly port: number;
  readonly apiPort: number;
  readonly metricsPort: number;
  readonly host: string;
  /** Address of the metrics port: loopback unless configured (the image sets 0.0.0.0 for Prometheus). */
  readonly metricsHost: string;
  readonly databaseUrl: string | undefined;
  readonly databasePool: number;
  /** Milliseconds any database statement or connection attempt may take before the request gets 503. */
  readonly databaseTimeout: number;
  /** Milliseconds SIGTERM waits for requests in flight before closing their connections. */
  readonly shutdownGrace: number;
  /** Milliseconds the program keeps accepting after SIGTERM, while the proxy stops routing to it. */
  readonly shutdownDelay: number;
  readonly dataDir: string;
  readonly migrate: boolean;
  readonly secretKey: string;
  readonly sessionMaxAge: number;
  readonly simUsername: string;
  readonly simPassword: string;
  readonly logLevel: string;
  readonly trustedProxies: readonly string[];
  readonly version: string;
  /** Who runs an operator command (flag, unflag), for the log: MINITWIT_OPERATOR, else the login name. */
  readonly operator: string | undefined;
  /** A file that also receives the moderation events, e.g. /proc/1/fd/1 (the container's log) under docker exec. */
  readonly eventLog: string | undefined;
  /** Where message avatars come from: drawn by the program ("local"), or Gravatar with the local one beneath. */
  readonly avatars: "local" | "gravatar";
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

type Env = Record<string, string | undefined>;

/** A variable's value, or the contents of the file named by NAME_FILE (Docker secrets). */
function secret(env: Env, name: string): string | undefined {
  const file = env[`${name}_FILE`];
  if (file) {
    try {
      return readFileSync(file, "utf8").trim();
    } catch (error) {
      throw new ConfigError(`${name}_FILE: cannot read ${file}: ${(error as Error).message}`);
    }
  }
  return env[name] || undefined;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, not "${raw}"`);
  }
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, not "${raw}"`);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!allowed.includes(raw as T)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(", ")}, not "${raw}"`);
  }
  return raw as T;
}

export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = env.NODE_ENV || "development";
  const secretKey = secret(env, "SECRET_KEY") ?? DEV_SECRET_KEY;
  const simPassword = secret(env, "SIM_PASSWORD") ?? DEFAULT_SIM_PASSWORD;
  if (nodeEnv === "production" && !boolean(env, "ALLOW_INSECURE_DEFAULTS", false)) {
    if (secretKey === DEV_SECRET_KEY) {
      throw new ConfigError("SECRET_KEY must be set in production (or ALLOW_INSECURE_DEFAULTS=true)");
    }
    if (simPassword === DEFAULT_SIM_PASSWORD) {
      throw new ConfigError("SIM_PASSWORD must be set in production (or ALLOW_INSECURE_DEFAULTS=true)");
    }
  }
  if (secretKey.length < 8) throw new ConfigError("SECRET_KEY must be at least 8 characters");
  const config: Config = {
    env: nodeEnv,
    role: oneOf(env, "ROLE", ["all", "web", "api"] as const, "all"),
    port: integer(env, "PORT", 5000, 0, 65535),
    apiPort: integer(env, "API_PORT", 5001, 0, 65535),
    metricsPort: integer(env, "METRICS_PORT", 9464, 0, 65535),
    host: env.HOST || "0.0.0.0",
    metricsHost: env.METRICS_HOST || "127.0.0.1",
    databaseUrl: secret(env, "DATABASE_URL"),
    databasePool: integer(env, "DATABASE_POOL", 10, 1, 200),
    databaseTimeout: integer(env, "DATABASE_TIMEOUT_MS", 5000, 100, 600_000),
    shutdownGrace: integer(env, "SHUTDOWN_GRACE_MS", 10_000, 0, 600_000),
    shutdownDelay: integer(env, "SHUTDOWN_DELAY_MS", 0, 0, 600_000),
    dataDir: env.DATA_DIR || "./data",
    migrate: boolean(env, "MIGRATE", true),
    secretKey,
    sessionMaxAge: integer(env, "SESSION_MAX_AGE", 7 * 24 * 3600, 60, 365 * 24 * 3600),
    simUsername: env.SIM_USERNAME || "simulator",
    simPassword,
    logLevel: oneOf(env, "LOG_LEVEL", ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const, "info"),
    trustedProxies: (env.TRUSTED_PROXIES ?? "127.0.0.1,::1")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    version: env.APP_VERSION || "dev",
    operator: env.MINITWIT_OPERATOR || env.SUDO_USER || env.USER || env.LOGNAME || undefined,
    eventLog: env.MINITWIT_EVENT_LOG || undefined,
    avatars: oneOf(env, "AVATARS", ["local", "gravatar"] as const, "local"),
  };
  return Object.freeze(config);
}
