// Request-scoped values every app shares: the request id and the session.
import { Elysia } from "elysia";
import type { Config } from "./config.ts";
import { sessionAlive } from "./data/sessions.ts";
import type { Db, Queryable } from "./db.ts";
import type { Logger } from "./log.ts";
import type { Metrics } from "./metrics.ts";
import { isHttps } from "./security.ts";
import { Session } from "./session.ts";

export interface Deps {
  config: Config;
  db: Db;
  /** The program's registry and logger; buildApps makes them when absent (tests). */
  metrics?: Metrics;
  logger?: Logger;
  /** True once the process is shutting down: every answer then says `Connection: close` (serve.ts). */
  stopping?: () => boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const requestIds = new WeakMap<Request, string>();

/** The caller's X-Request-Id when it is sane (a proxy's), else a new one; the same for every caller of one request. */
export function requestIdOf(request: Request): string {
  let id = requestIds.get(request);
  if (id === undefined) {
    const given = request.headers.get("x-request-id");
    id = given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    requestIds.set(request, id);
  }
  return id;
}

/**
 * The signed-cookie session of the web pages, written back after the handler when it changed. A signed-in
 * cookie counts only while its session is in the database (one primary-key lookup per signed-in request):
 * after sign-out, a copy of the cookie is anonymous on every replica.
 */
export function sessionPlugin(config: Config, db: Queryable) {
  return new Elysia()
    .derive({ as: "scoped" }, async ({ request, server }) => {
      const session = new Session(request.headers.get("cookie"), {
        key: config.secretKey,
        maxAge: config.sessionMaxAge,
        secure: isHttps(request, server, config.trustedProxies),
      });
      const claim = session.claim;
      if (claim && !(await sessionAlive(db, claim.sid, claim.uid))) session.logout();
      return { session };
    })
    .onAfterHandle({ as: "scoped" }, ({ session, set }) => {
      const cookie = session.cookie();
      if (cookie) set.headers["set-cookie"] = cookie;
    });
}

/** 303 after a POST (the browser then GETs), 302 otherwise, as the original did. */
export function redirectTo(request: Request, location: string): Response {
  return new Response(null, { status: request.method === "POST" ? 303 : 302, headers: { location } });
}
