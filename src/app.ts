// Builds the Elysia apps (web pages, simulator API) without listening; main.ts and tests listen.
import { html } from "@elysiajs/html";
import { Elysia } from "elysia";
import { ErrorPage } from "../views/forms.tsx";
import stylesheet from "../views/static/style.css" with { type: "text" };
import { docsRoutes } from "./api/docs.ts";
import { allowedMethods, apiDocs, simulatorRoutes, validationMessage } from "./api/simulator.ts";
import { type Deps, requestIdOf } from "./context.ts";
import { isInvalidData, isUnavailable } from "./db.ts";
import { HttpError } from "./errors.ts";
import { createLogger } from "./log.ts";
import { createMetrics } from "./metrics.ts";
import { observe } from "./observe.ts";
import { securityPlugin } from "./security.ts";
import { authRoutes } from "./web/auth.ts";
import { avatarRoutes } from "./web/avatar.ts";
import { followRoutes } from "./web/follow.ts";
import { timelineRoutes } from "./web/timeline.ts";

export type { Deps } from "./context.ts";

/** Status and text for an error: the client's own mistakes, the database away, or our fault. */
export function describeError(code: string | number, error: unknown): { status: number; message: string } {
  if (error instanceof HttpError) return { status: error.status, message: error.message };
  // A limit hit while the body was read (security.ts) arrives wrapped in Elysia's parse error.
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (cause instanceof HttpError) return { status: cause.status, message: cause.message };
  if (isUnavailable(error)) return { status: 503, message: "The database is unavailable; please try again shortly" };
  if (isInvalidData(error)) return { status: 400, message: "Bad request" };
  if (code === "NOT_FOUND") return { status: 404, message: "Not Found" };
  if (code === "PARSE" || code === "VALIDATION" || code === "INVALID_COOKIE_SIGNATURE") {
    return { status: 400, message: "Bad request" };
  }
  const status = (error as { status?: unknown }).status;
  if (typeof status === "number" && status >= 400 && status < 500) return { status, message: "Bad request" };
  return { status: 500, message: "Internal Server Error" };
}

const TITLES: Record<number, string> = {
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  413: "Payload Too Large",
  414: "URI Too Long",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** GET /health: 200 when the program and its database answer, 503 when the database does not. */
export function healthRoutes({ db }: Deps) {
  return new Elysia({ name: "health" }).get("/health", async ({ set }) => {
    try {
      await db.query("health");
      return { status: "ok" };
    } catch {
      set.status = 503;
      return { status: "unavailable", error: "database unreachable" };
    }
  });
}

/** The program's metrics and logger, made here when the caller gave none (tests building one app). */
function observed(deps: Deps) {
  return {
    metrics: deps.metrics ?? createMetrics({ version: deps.config.version, defaults: false }),
    logger: deps.logger ?? createLogger(deps.config),
    config: deps.config,
  };
}

// Pages are strings that start with the doctype (views/layout.tsx): recognising them by that
// prefix spares @elysiajs/html's default detection, which trims a copy of every page (docs/performance.md).
const DOCTYPE = "<!doctype html>";
const htmlPages = html({
  contentType: "text/html; charset=utf-8",
  autoDoctype: false,
  isHtml: (value) => typeof value === "string" && value.startsWith(DOCTYPE),
});

export function buildWeb(deps: Deps) {
  return new Elysia({ name: "web" })
    .use(observe("web", observed(deps)))
    .use(securityPlugin(deps.config, "web", deps.stopping))
    .use(htmlPages)
    .onError({ as: "global" }, ({ code, error, set, request }) => {
      const { status, message } = describeError(code, error);
      // The same id as the access-log line of this request (observe.ts).
      const id = requestIdOf(request);
      const detail = status >= 500 && status !== 503 ? `Something went wrong. Request id: ${id}` : message;
      set.status = status;
      set.headers["content-type"] = "text/html; charset=utf-8";
      return ErrorPage({ status, title: TITLES[status] ?? "Error", detail });
    })
    .get("/static/style.css", ({ set }) => {
      set.headers["content-type"] = "text/css; charset=utf-8";
      set.headers["cache-control"] = "public, max-age=3600";
      return stylesheet;
    })
    .use(avatarRoutes())
    .use(healthRoutes(deps))
    .use(authRoutes(deps))
    .use(timelineRoutes(deps))
    .use(followRoutes(deps));
}

/** The simulator API and its documentation; JSON errors `{"status", "error_msg"}`, 404 and 405 included. */
export function buildApi(deps: Deps) {
  // normalize: false, so that unknown body fields are refused rather than silently dropped.
  const app = new Elysia({ name: "api", normalize: false })
    .use(observe("api", observed(deps)))
    .use(securityPlugin(deps.config, "api", deps.stopping))
    .onError({ as: "global" }, ({ code, error, set, request }) => {
      let { status, message } = describeError(code, error);
      if (code === "VALIDATION") message = validationMessage(error);
      if (code === "PARSE" && status === 400) message = "The body is not valid JSON";
      // The same id as the access-log line that holds the error (observe.ts); nothing else of it.
      if (status >= 500 && status !== 503) message = `Internal Server Error. Request id: ${requestIdOf(request)}`;
      if (status === 404 && code === "NOT_FOUND") {
        const allow = allowedMethods(app.routes, new URL(request.url).pathname);
        if (allow.length) {
          status = 405;
          message = "Method Not Allowed";
          set.headers.allow = allow.join(", ");
        }
      }
      set.status = status;
      return { status, error_msg: message };
    })
    .use(healthRoutes(deps))
    .use(apiDocs(deps.config))
    .use(docsRoutes())
    .use(simulatorRoutes(deps));
  return app;
}

export function buildApps(deps: Deps) {
  const shared = { ...deps, ...observed(deps) };
  return { web: buildWeb(shared), api: buildApi(shared) };
}
