// Security for both apps: headers on every answer, request limits, path sanity, cross-site refusal.
import { Elysia } from "elysia";
import type { Config } from "./config.ts";
import { HttpError } from "./errors.ts";
import { clientIp, isTrusted } from "./log.ts";

/** Largest request body accepted, in bytes; larger ones get 413. */
export const BODY_LIMIT = 64 * 1024;
/** Longest path plus query accepted, in characters; longer ones get 414. */
export const URL_LIMIT = 4096;
/** Deepest nesting of arrays and objects a JSON body may have (MiniTwit's bodies are flat: 1). */
export const JSON_MAX_DEPTH = 8;
/** Most values (object members and array items, at every depth) a JSON body may hold. */
export const JSON_MAX_VALUES = 1000;

/**
 * Bun.serve options of every listener. Bun's own limit is larger than BODY_LIMIT on purpose: up to it,
 * the hooks below answer a clear 413 page; beyond it Bun answers a bare 413 and may close the
 * connection while the client is still sending.
 */
export const SERVE_LIMITS = { maxRequestBodySize: 16 * BODY_LIMIT } as const;

// Images from this site only; from Gravatar too when AVATARS=gravatar.
const webCsp = (avatars: Config["avatars"]) =>
  [
    "default-src 'self'",
    avatars === "gravatar" ? "img-src 'self' https://www.gravatar.com" : "img-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");

// The API answers JSON; only its reference page (/docs) loads scripts and styles, all from this site.
const API_CSP = "default-src 'none'; frame-ancestors 'none'";
const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
].join("; ");

type Server = { requestIP(request: Request): { address: string } | null } | null | undefined;

function peerOf(request: Request, server: Server): string {
  return server?.requestIP(request)?.address ?? "";
}

/** The client's address, as the access log reads it: the peer, or what a trusted proxy forwarded. */
export function clientAddress(request: Request, server: Server, trusted: readonly string[]): string {
  return clientIp(peerOf(request, server), request.headers.get("x-forwarded-for"), trusted);
}

/** Served over HTTPS: directly, or by a trusted proxy that says so in X-Forwarded-Proto. */
export function isHttps(request: Request, server: Server, trusted: readonly string[]): boolean {
  if (request.url.startsWith("https:")) return true;
  const proto = request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim();
  return proto === "https" && isTrusted(peerOf(request, server), trusted);
}

/** The host the browser addressed: Host, or X-Forwarded-Host when a trusted proxy rewrote Host. */
function siteHost(request: Request, server: Server, trusted: readonly string[]): string {
  const forwarded = request.headers.get("x-forwarded-host")?.split(",")[0]?.trim();
  if (forwarded && isTrusted(peerOf(request, server), trusted)) return forwarded.toLowerCase();
  return (request.headers.get("host") ?? new URL(request.url).host).toLowerCase();
}

/** The web routes (templates) that change something even on GET: kept for the original's links. */
const STATE_CHANGING_GETS: ReadonlySet<string> = new Set(["/logout", "/:username/follow", "/:username/unfollow"]);

/**
 * Requests of the web pages that change something: every non-GET, and the GET routes kept for old
 * links. `route` is the matched route's template (`/:username/follow`), never the raw path, so that
 * every spelling that reaches a handler gets the same answer.
 */
export function changesState(method: string, route: string | undefined): boolean {
  if (method !== "GET" && method !== "HEAD" && method !== "OPTIONS") return true;
  return route !== undefined && STATE_CHANGING_GETS.has(route);
}

/**
 * True when a browser marked the request as coming from elsewhere: `Sec-Fetch-Site: cross-site`, or
 * `same-site` (a sibling origin: another port or subdomain, whose GET navigations carry no Origin),
 * or an `Origin` whose host is not this site's. Clients sending neither header (scripts) pass.
 */
export function isCrossSite(request: Request, server: Server, trusted: readonly string[]): boolean {
  const fetchSite = request.headers.get("sec-fetch-site")?.toLowerCase();
  if (fetchSite === "cross-site" || fetchSite === "same-site") return true;
  const origin = request.headers.get("origin");
  if (origin === null) return false;
  try {
    return new URL(origin).host.toLowerCase() !== siteHost(request, server, trusted);
  } catch {
    return true; // "null" (sandboxed or privacy-sensitive contexts) or garbage
  }
}

/** The request's path, still percent-encoded. */
function pathOf(request: Request): string {
  const url = request.url;
  const start = url.indexOf("/", url.indexOf("//") + 2);
  return url.slice(start).split(/[?#]/)[0] ?? "/";
}

/**
 * The one spelling of a path (RFC 3986, 6.2.2): repeated slashes collapsed, no trailing slash but on
 * `/`, percent-encoded letters, digits, `-`, `_` and `~` decoded, other escapes in upper case. Dots
 * stay encoded (`%2E%2E` is a name, `..` would be a step up). Bun has already removed dot segments.
 */
export function canonicalPath(path: string): string {
  let canonical = path.replace(/\/{2,}/g, "/").replace(/%[0-9a-fA-F]{2}/g, (encoded) => {
    const char = String.fromCharCode(Number.parseInt(encoded.slice(1), 16));
    return /[A-Za-z0-9_~-]/.test(char) ? char : encoded.toUpperCase();
  });
  if (canonical.length > 1 && canonical.endsWith("/")) canonical = canonical.replace(/\/+$/, "") || "/";
  return canonical;
}

/** Rejects what no route should see: bodies over the limit, over-long or badly encoded paths. */
function checkLimits(request: Request): void {
  const length = request.headers.get("content-length");
  if (length !== null && !(Number(length) <= BODY_LIMIT)) {
    throw new HttpError(413, `The request body is larger than ${BODY_LIMIT / 1024} KiB`);
  }
  const url = request.url;
  if (url.length - url.indexOf("/", url.indexOf("//") + 2) > URL_LIMIT) {
    throw new HttpError(414, "The address is too long");
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathOf(request));
  } catch {
    throw new HttpError(400, "The address is not validly percent-encoded");
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(decoded)) throw new HttpError(400, "The address contains control characters");
}

/**
 * Refuses a JSON text whose shape no MiniTwit route uses, in one linear pass before it is parsed:
 * nested deeper than JSON_MAX_DEPTH, more than JSON_MAX_VALUES values, or a field named twice in one
 * object (parsers disagree on which one wins). Schema validation of a deeply nested value takes time
 * quadratic in its depth (30,000 nested arrays held the process for seconds, then ran out of memory),
 * so the shape is bounded before Elysia validates anything. Syntax is left to JSON.parse.
 */
export function checkJsonShape(text: string): void {
  const keys: (Set<string> | undefined)[] = []; // per open container: its field names, or undefined for an array
  let values = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: find its end, skipping escapes; a field name when an object expects one.
      let end = i + 1;
      while (end < text.length && text.charCodeAt(end) !== 0x22) end += text.charCodeAt(end) === 0x5c ? 2 : 1;
      const names = keys.at(-1);
      if (expectKey && names) {
        let name: string;
        try {
          name = JSON.parse(text.slice(i, end + 1)) as string;
        } catch {
          return; // not JSON: JSON.parse will say so
        }
        if (names.has(name)) throw new HttpError(400, `The JSON body names the field "${name.slice(0, 64)}" twice`);
        names.add(name);
        expectKey = false;
      }
      i = end;
    } else if (c === 0x5b || c === 0x7b) {
      if (keys.length >= JSON_MAX_DEPTH) {
        throw new HttpError(400, `The JSON body is nested deeper than ${JSON_MAX_DEPTH} levels`);
      }
      keys.push(c === 0x7b ? new Set() : undefined);
      expectKey = c === 0x7b;
    } else if (c === 0x5d || c === 0x7d) {
      keys.pop();
      expectKey = false;
    } else if (c === 0x2c) {
      if (++values >= JSON_MAX_VALUES) {
        throw new HttpError(400, `The JSON body holds more than ${JSON_MAX_VALUES} values`);
      }
      expectKey = keys.at(-1) !== undefined;
    }
  }
}

/** A JSON body bounded in shape (checkJsonShape) then parsed; a 400 HttpError says what is wrong. */
export function parseJsonBody(text: string): unknown {
  checkJsonShape(text);
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "The body is not valid JSON");
  }
}

/** True when the client asked to close the connection after this answer (`Connection: close`). */
function asksToClose(request: Request): boolean {
  const connection = request.headers.get("connection");
  return connection !== null && /(^|,)\s*close\s*(,|$)/i.test(connection);
}

/**
 * The security plugin of the web pages ("web") or the simulator API ("api"). Rules keyed on a route
 * (cross-site refusal) read Elysia's matched route, and any other spelling of a path
 * is redirected to its canonical one first, so no spelling reaches a handler past a rule.
 */
export function securityPlugin(config: Config, kind: "web" | "api", stopping: () => boolean = () => false) {
  const trusted = config.trustedProxies;
  const WEB_CSP = webCsp(config.avatars);
  return new Elysia({ name: `security-${kind}` })
    .onRequest(({ request, server, set }) => {
      const https = isHttps(request, server, trusted);
      const path = pathOf(request);
      const h = set.headers;
      // Bun closes the socket after answering `Connection: close` but does not say so: a pooled client
      // would reuse the dead socket for its next request.
      if (asksToClose(request) || stopping()) h.connection = "close";
      h["x-content-type-options"] = "nosniff";
      h["x-frame-options"] = "DENY";
      h["referrer-policy"] = "same-origin";
      h["cross-origin-opener-policy"] = "same-origin";
      h["content-security-policy"] = kind === "web" ? WEB_CSP : path === "/docs" ? DOCS_CSP : API_CSP;
      if (https) h["strict-transport-security"] = "max-age=31536000";
      checkLimits(request);
      const canonical = canonicalPath(path);
      if (canonical !== path) {
        // 308 keeps the method and body; the client asks again at the one spelling every rule knows.
        // Thrown, not returned: an answer returned here would bypass the access log and the metrics.
        const query = request.url.indexOf("?");
        h.location = canonical + (query === -1 ? "" : request.url.slice(query));
        throw new HttpError(308, `This address is spelled ${canonical}`);
      }
    })
    .onBeforeHandle(({ request, route, server }) => {
      if (kind !== "web") return;
      if (changesState(request.method, route) && isCrossSite(request, server, trusted)) {
        throw new HttpError(403, "Cross-site request refused");
      }
    })
    .onParse(async ({ request }, contentType) => {
      // A body without Content-Length (chunked) is measured on a copy before Elysia parses it. The copy
      // is read to its end (Bun stops it at SERVE_LIMITS) so that the client, still sending, gets the 413.
      if (!request.headers.has("content-length") && request.body) {
        const reader = request.clone().body?.getReader();
        let size = 0;
        for (let part = await reader?.read(); part && !part.done; part = await reader?.read())
          size += part.value.length;
        if (size > BODY_LIMIT) throw new HttpError(413, `The request body is larger than ${BODY_LIMIT / 1024} KiB`);
      }
      // JSON sent to the web pages (Elysia would parse it unbounded); the API parses its own (simulator.ts).
      if (kind === "web" && contentType === "application/json") return parseJsonBody(await request.text());
    })
    .as("global");
}
