// The observability plugin of both apps: request metrics, business counters and one ECS access-log line
// per request, with the request id echoed in X-Request-Id.
import { Elysia, StatusMap } from "elysia";
import type { Config } from "./config.ts";
import { requestIdOf } from "./context.ts";
import { messageError } from "./data/messages.ts";
import { field } from "./errors.ts";
import { bodyContent, clientIp, errorFields, type Logger } from "./log.ts";
import type { BusinessEvent, Metrics, Service } from "./metrics.ts";

interface Pending {
  start: number;
  id: string;
  peer?: string;
  error?: unknown;
  /** The handler's body size, known before @elysiajs/html wraps a page in a Response. */
  bytes?: number;
}

/** What a response's body weighs, when it can be known without reading it. */
function bodyBytes(value: unknown): number | undefined {
  if (value instanceof Response) {
    const length = value.headers.get("content-length");
    if (length !== null) return Number(length);
    return value.body === null ? 0 : undefined;
  }
  if (typeof value === "string") return Buffer.byteLength(value);
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return value.byteLength;
  if (value !== null && typeof value === "object") return Buffer.byteLength(JSON.stringify(value));
  return undefined;
}

/** The status the client received: a returned Response carries its own, else Elysia's `set.status`. */
export function statusOf(value: unknown, setStatus: number | string | undefined): number {
  if (value instanceof Response) return value.status;
  if (typeof setStatus === "number") return setStatus;
  if (typeof setStatus === "string") return (StatusMap as Record<string, number>)[setStatus] ?? 500;
  return 200;
}

/**
 * The business event a request stood for, read from its route, status and body, so that the data
 * functions stay free of metrics. Web forms redirect on success (errors re-render with 200 or throw);
 * the simulator API answers 204 on success.
 */
export function businessEvent(
  service: Service,
  request: { method: string; route: string | undefined; status: number; body: unknown; location?: string | null },
): BusinessEvent | undefined {
  const { method, route, status, body, location } = request;
  const redirected = status === 302 || status === 303;
  if (service === "web") {
    if (method === "POST" && route === "/register" && redirected && location === "/login") return "registration";
    if (method === "POST" && route === "/login") {
      if (redirected) return "login_success";
      if (status === 200) return "login_failure";
    }
    if (method === "POST" && route === "/add_message" && redirected) {
      const text = field(body, "text");
      return text && !messageError(text) ? "message" : undefined;
    }
    if (route === "/:username/follow" && redirected) return "follow";
    if (route === "/:username/unfollow" && redirected) return "unfollow";
    return undefined;
  }
  if (method !== "POST" || status !== 204) return undefined;
  if (route === "/register") return "registration";
  if (route === "/msgs/:username") return "message";
  if (route === "/fllws/:username") {
    if (field(body, "follow") !== undefined) return "follow";
    if (field(body, "unfollow") !== undefined) return "unfollow";
  }
  return undefined;
}

/** The user a request acted as: the web session's user; on the API, the user named in the path. */
function userOf(service: Service, ctx: Record<string, unknown>): { name: string; id?: string } | undefined {
  if (service === "web") {
    const user = (ctx.session as { user?: { id: number; username: string } } | undefined)?.user;
    return user ? { name: user.username, id: String(user.id) } : undefined;
  }
  const name = (ctx.params as Record<string, string> | undefined)?.username;
  return typeof name === "string" ? { name } : undefined;
}

export interface ObserveOptions {
  metrics: Metrics;
  logger: Logger;
  config: Pick<Config, "trustedProxies">;
}

export function observe(service: Service, { metrics, logger, config }: ObserveOptions) {
  const log = logger.child({ "service.name": `minitwit-${service}` });
  const pending = new WeakMap<Request, Pending>();

  return new Elysia({ name: "observe", seed: service })
    .onRequest(({ request, server, set }) => {
      const id = requestIdOf(request);
      pending.set(request, { start: performance.now(), id, peer: server?.requestIP(request)?.address });
      set.headers["x-request-id"] = id;
    })
    .onAfterHandle({ as: "global" }, ({ request, responseValue }) => {
      const p = pending.get(request);
      if (!p) return;
      p.bytes = bodyBytes(responseValue);
      // The html plugin prepends a doctype to whole documents.
      if (typeof responseValue === "string" && p.bytes !== undefined && /^\s*<html/i.test(responseValue)) {
        p.bytes += "<!doctype html>".length;
      }
    })
    .onError({ as: "global" }, ({ request, error }) => {
      const p = pending.get(request);
      if (p) p.error = error;
    })
    .onAfterResponse({ as: "global" }, (ctx) => {
      const { request, set, route } = ctx;
      const p = pending.get(request) ?? { start: performance.now(), id: requestIdOf(request) };
      const seconds = (performance.now() - p.start) / 1000;
      const value = (ctx as { responseValue?: unknown }).responseValue;
      const status = statusOf(value, set.status);
      const body = (ctx as { body?: unknown }).body;
      const location =
        value instanceof Response ? value.headers.get("location") : (set.headers.location as string | undefined);
      const method = request.method;

      metrics.request(service, method, route, status, seconds);
      const event = businessEvent(service, { method, route, status, body, location });
      if (event) metrics.event(service, event);

      if (!log.isLevelEnabled(status >= 500 ? "error" : "info")) return;
      const url = new URL(request.url);
      const user = userOf(service, ctx as unknown as Record<string, unknown>);
      const content = bodyContent(body);
      const failed = p.error !== undefined && status >= 400;
      const record = {
        event: {
          kind: "event",
          category: ["web"],
          type: status >= 500 ? ["access", "error"] : ["access"],
          outcome: status < 400 ? "success" : "failure",
          duration: Math.round(seconds * 1e9),
          dataset: "minitwit.access",
        },
        http: {
          request: {
            id: p.id,
            method,
            ...(content !== undefined ? { body: { content } } : {}),
            ...(request.headers.get("content-type")
              ? { mime_type: request.headers.get("content-type")?.split(";")[0] }
              : {}),
          },
          response: { status_code: status, ...bodyBytesField(failed ? undefined : (bodyBytes(value) ?? p.bytes)) },
        },
        url: { path: url.pathname, ...(url.search ? { query: url.search.slice(1) } : {}) },
        client: { ip: clientIp(p.peer, request.headers.get("x-forwarded-for"), config.trustedProxies) },
        user_agent: { original: request.headers.get("user-agent") ?? "" },
        ...(user ? { user } : {}),
        minitwit: { route: route ?? "unmatched", ...(location ? { redirect: { location } } : {}) },
        ...(failed ? { error: errorFields(p.error, status >= 500) } : {}),
      };
      const message = `${method} ${url.pathname} ${status}`;
      if (status >= 500) log.error(record, message);
      else log.info(record, message);
    });
}

function bodyBytesField(bytes: number | undefined): { body?: { bytes: number } } {
  return bytes === undefined ? {} : { body: { bytes } };
}
