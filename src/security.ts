// Security for both apps: headers on every answer, request limits, path sanity, cross-site refusal.
import { Elysia } from "elysia";
import type { Config } from "./config.ts";
import { HttpError } from "./errors.ts";
import { clientIp, isTrusted } from "./log.ts";

/** Largest request body accepted, in bytes; larger ones get 413. */
export const BODY_LIMIT = 64 * 1024;
/** Longest path plus query accepted, in characters; longer ones get 414. */
export const URL_LIMIT = 4096;

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

/** Requests of the web pages that change something: every non-GET, and the GET routes kept for old links. */
export function changesState(method: string, path: string): boolean {
  if (method !== "GET" && method !== "HEAD" && method !== "OPTIONS") return true;
  return path === "/logout" || /^\/[^/]+\/(follow|unfollow)\/?$/.test(path);
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

/** The security plugin of the web pages ("web") or the simulator API ("api"). */
export function securityPlugin(config: Config, kind: "web" | "api") {
  const trusted = config.trustedProxies;
  const WEB_CSP = webCsp(config.avatars);
  return new Elysia({ name: `security-${kind}` })
    .onRequest(({ request, server, set }) => {
      const https = isHttps(request, server, trusted);
      const path = pathOf(request);
      const h = set.headers;
      h["x-content-type-options"] = "nosniff";
      h["x-frame-options"] = "DENY";
      h["referrer-policy"] = "same-origin";
      h["cross-origin-opener-policy"] = "same-origin";
      h["content-security-policy"] = kind === "web" ? WEB_CSP : path === "/docs" ? DOCS_CSP : API_CSP;
      if (https) h["strict-transport-security"] = "max-age=31536000";
      checkLimits(request);
      if (kind !== "web") return;
      if (changesState(request.method, path) && isCrossSite(request, server, trusted)) {
        throw new HttpError(403, "Cross-site request refused");
      }
    })
    .onParse(async ({ request }) => {
      // A body without Content-Length (chunked) is measured on a copy before Elysia parses it. The copy
      // is read to its end (Bun stops it at SERVE_LIMITS) so that the client, still sending, gets the 413.
      if (request.headers.has("content-length") || !request.body) return;
      const reader = request.clone().body?.getReader();
      let size = 0;
      for (let part = await reader?.read(); part && !part.done; part = await reader?.read()) size += part.value.length;
      if (size > BODY_LIMIT) throw new HttpError(413, `The request body is larger than ${BODY_LIMIT / 1024} KiB`);
    })
    .as("global");
}
