// The logger (pino with the ECS format, JSON lines on stdout for Filebeat) and the access-log fields.

import { hostname } from "node:os";
import { ecsFormat } from "@elastic/ecs-pino-format";
import pino from "pino";
import type { Config } from "./config.ts";

export type Logger = pino.Logger;

/** Request content logged at most this many characters (of its JSON form), then cut with "…". */
export const BODY_LOG_LIMIT = 1024;
/** Fields whose values never reach a log line, at any depth. */
export const REDACTED_FIELDS: ReadonlySet<string> = new Set(["password", "password2", "pwd"]);
export const REDACTED = "[REDACTED]";

/** JSON lines to stdout (or the given stream, for tests) at LOG_LEVEL. */
export function createLogger(
  config: Pick<Config, "logLevel" | "version" | "env">,
  destination?: pino.DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    ...ecsFormat({ convertReqRes: false, apmIntegration: false }),
    level: config.logLevel,
    base: {
      pid: process.pid,
      hostname: hostname(),
      "service.version": config.version,
      "service.environment": config.env,
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A copy of a form or JSON body with the password fields replaced. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Blob) return `[file ${value.size} bytes]`;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = REDACTED_FIELDS.has(key.toLowerCase()) ? REDACTED : redact(v, depth + 1);
  }
  return out;
}

/** The request's content for `http.request.body.content`: redacted, as JSON, cut to BODY_LOG_LIMIT. */
export function bodyContent(body: unknown, limit = BODY_LOG_LIMIT): string | undefined {
  if (body === undefined || body === null || body === "") return undefined;
  const text = typeof body === "string" ? body : JSON.stringify(redact(body));
  if (text === undefined) return undefined;
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}

function ipv4(address: string): number | undefined {
  const parts = address.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    n = n * 256 + Number(part);
  }
  return n;
}

function normalize(address: string): string {
  const trimmed = address.trim().replace(/^\[|\]$/g, "");
  return trimmed.toLowerCase().startsWith("::ffff:") && trimmed.includes(".") ? trimmed.slice(7) : trimmed;
}

/** True when the address is one of the trusted proxies: exact addresses, or IPv4 CIDR ranges like 10.0.0.0/8. */
export function isTrusted(address: string, trusted: readonly string[]): boolean {
  const ip = normalize(address);
  for (const entry of trusted) {
    const [base = "", bits] = entry.split("/");
    if (bits === undefined) {
      if (normalize(base) === ip) return true;
      continue;
    }
    const a = ipv4(ip);
    const b = ipv4(base);
    const n = Number(bits);
    if (a === undefined || b === undefined || !Number.isInteger(n) || n < 0 || n > 32) continue;
    const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
    if ((a & mask) >>> 0 === (b & mask) >>> 0) return true;
  }
  return false;
}

/**
 * The client's address: the peer's, unless the peer is a trusted proxy; then the right-most
 * X-Forwarded-For entry that is not itself a trusted proxy (entries further left are the client's claim).
 */
export function clientIp(peer: string | undefined, forwardedFor: string | null, trusted: readonly string[]): string {
  const direct = peer ? normalize(peer) : "";
  if (!direct || !forwardedFor || !isTrusted(direct, trusted)) return direct;
  const hops = forwardedFor
    .split(",")
    .map(normalize)
    .filter((h) => h.length > 0 && h.length <= 64);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!isTrusted(hop, trusted)) return hop;
  }
  return hops[0] ?? direct;
}

/** ECS `error.*` fields of a thrown value; the stack only for our own faults (5xx), not for 4xx. */
export function errorFields(error: unknown, withStack = true): { type: string; message: string; stack_trace?: string } {
  if (!(error instanceof Error)) return { type: typeof error, message: String(error) };
  const fields = { type: error.name, message: error.message };
  return withStack && error.stack ? { ...fields, stack_trace: error.stack } : fields;
}
