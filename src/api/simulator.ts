// The course simulator's JSON API: thin handlers over the data functions; the `t` schemas both
// validate the requests and document them in /openapi.json.
import { timingSafeEqual } from "node:crypto";
import { openapi } from "@elysiajs/openapi";
import { Elysia, type TSchema, t, type ValidationError } from "elysia";
import type { Config } from "../config.ts";
import type { Deps } from "../context.ts";
import { followedNames, setFollowByName } from "../data/follows.ts";
import { getLatest, setLatest } from "../data/latest.ts";
import { type ApiMessage, apiMessages, MESSAGE_MAX, messageError, postMessageAs } from "../data/messages.ts";
import { batchBy, coalesceBy } from "../data/shared-reads.ts";
import { publicIds, RenderCache, userPages } from "../data/timeline-cache.ts";
import { createUser, LIMITS, registrationError, USERNAME_TAKEN, userByName } from "../data/users.ts";
import { HttpError, notFound } from "../errors.ts";
import { parseJsonBody } from "../security.ts";

/** `no` when the request gives none, and the most a request gets whatever it asks. */
export const NO_DEFAULT = 100;
export const NO_CAP = 10_000;
const JSON_TYPE = "application/json;charset=utf-8";
// JSON of listings kept for the same message ids; 100 messages are about 12 KB. Small on purpose: see
// src/web/timeline.ts on what a kept megabyte costs in resident memory.
const CACHE_BUDGET = 1024 * 1024;

export const UNAUTHORIZED = "You are not authorized to use this resource!";

/** A body that could not be read as JSON: refused only after `latest` is recorded. */
class UnreadableBody {
  constructor(readonly reason: string) {}
}

async function readJson({ request }: { request: Request }): Promise<unknown> {
  const text = await request.text();
  if (!text.trim()) return new UnreadableBody("The body is empty: send a JSON object");
  try {
    return parseJsonBody(text);
  } catch (error) {
    return new UnreadableBody((error as Error).message);
  }
}

function sha256(text: string): Buffer {
  return Buffer.from(new Bun.CryptoHasher("sha256").update(text).digest());
}

/** Compares the Authorization header with the simulator's in constant time (digests of equal length). */
export function credentialCheck(config: Pick<Config, "simUsername" | "simPassword">) {
  const token = Buffer.from(`${config.simUsername}:${config.simPassword}`).toString("base64");
  const expected = sha256(`Basic ${token}`);
  return (header: string | null): boolean =>
    header !== null && timingSafeEqual(sha256(header.replace(/^basic /i, "Basic ")), expected);
}

/** `?latest=N`: undefined when absent, the integer, or null when it is not one. */
export function parseLatest(raw: unknown): number | undefined | null {
  if (raw === undefined) return undefined;
  if (typeof raw !== "string" || !/^-?[0-9]{1,16}$/.test(raw)) return null;
  const value = Number(raw);
  return Number.isSafeInteger(value) ? value : null;
}

/** The clear sentence for a request that fails its schema. */
export function validationMessage(error: Readonly<ValidationError>): string {
  if (typeof error.customError === "string") return error.customError;
  const issue = error.valueError;
  const field = (issue?.path ?? "").replace(/^\//, "").replaceAll("/", ".").slice(0, 64);
  if (error.type === "params") return "The path is not validly percent-encoded";
  const where = error.type === "query" ? "query parameter" : "field";
  if (!issue || !field) return error.type === "body" ? "The body must be a JSON object" : `Invalid ${where}`;
  if (issue.message === "Unexpected property") return `Unknown field "${field}"`;
  if (issue.value === undefined) return `Missing ${where} "${field}"`;
  return `Invalid ${where} "${field}": ${issue.message.toLowerCase()}`;
}

const ErrorBody = t.Object({
  status: t.Number({ examples: [400] }),
  error_msg: t.String({ examples: ["The username is already taken"] }),
});
const Forbidden = t.Object({ status: t.Literal(403), error_msg: t.Literal(UNAUTHORIZED) });
const Username = t.Object({ username: t.String({ description: "URL-encoded, matched exactly", examples: ["a"] }) });
const Listing = t.Object(
  {
    latest: t.Optional(t.Integer({ description: "The simulator's action id, recorded before the request runs" })),
    no: t.Optional(
      t.Integer({
        minimum: 0,
        description: `How many to return: default ${NO_DEFAULT}, at most ${NO_CAP}`,
        error: "no must be a non-negative integer",
      }),
    ),
  },
  { additionalProperties: true },
);
const Latest = t.Object(
  { latest: t.Optional(t.Integer({ description: "The simulator's action id, recorded before the request runs" })) },
  { additionalProperties: true },
);
const Message = t.Object({
  content: t.String(),
  pub_date: t.String({ format: "date-time", description: "ISO 8601, UTC", examples: ["2026-01-31T12:34:56Z"] }),
  user: t.String(),
});

const DONE = "Done and committed: a later request on any replica sees it";
const BAD = "The request is malformed: `error_msg` says how";

/**
 * OpenAPI details with the answers written out. Response schemas document only (handlers return plain
 * values; errors are thrown): Elysia's `response` option would also validate every answer, and the
 * plugin renders a 204 there as an invalid media type.
 */
function doc(summary: string, answers: Record<number, [string, TSchema?]>, secured = true) {
  const responses = Object.fromEntries(
    Object.entries(answers).map(([status, [description, schema]]) => [
      status,
      schema ? { description, content: { "application/json": { schema } } } : { description },
    ]),
  );
  return { summary, tags: ["simulator"], responses, ...(secured ? { security: [{ simulator: [] }] } : {}) };
}

export function simulatorRoutes({ config, db, metrics }: Deps) {
  const authorized = credentialCheck(config);

  // GET /msgs and /msgs/USER answered from the JSON made for the same message ids (src/data/timeline-cache.ts).
  const listings = new RenderCache<string>(CACHE_BUDGET, (json) => json.length);
  // One ids query at a time per `no`, shared by the requests that arrived while the one before ran.
  const latestPublic = coalesceBy((no: number) => publicIds(db, no));
  // The same for users' listings: the names asked for meanwhile go into one statement per `no`.
  const latestUserPage = batchBy((no: number, names: string[]) => userPages(db, names, no));
  /** The JSON of a listing; when it is kept (`ids` given), made again only when those ids changed. */
  async function listing(key: string, ids: string | undefined, load: () => Promise<ApiMessage[]>) {
    const kept = ids === undefined ? undefined : listings.get(key, ids);
    metrics?.timelineCache("api", kept !== undefined);
    if (kept !== undefined) return kept;
    const json = JSON.stringify(await load());
    return ids === undefined ? json : listings.set(key, ids, json);
  }

  async function user(username: string) {
    const found = await userByName(db, username);
    if (!found) throw notFound("Unknown user");
    return found;
  }

  return (
    new Elysia({ name: "simulator" })
      .get("/latest", async () => ({ latest: await getLatest(db) }), {
        detail: doc(
          "The last `latest` value recorded",
          { 200: ["The value", t.Object({ latest: t.Number({ description: "-1 before any value was recorded" }) })] },
          false,
        ),
      })
      // Every route below needs the credential and records `latest` before its body is validated.
      // readJson parses every body first (any content type); `parse: "json"` on the routes documents it.
      .onParse(readJson)
      .onTransform(async ({ request, query, body }) => {
        if (!authorized(request.headers.get("authorization"))) throw new HttpError(403, UNAUTHORIZED);
        const latest = parseLatest(query.latest);
        if (latest === null) throw new HttpError(400, "latest must be an integer");
        if (latest !== undefined) await setLatest(db, latest);
        if (body instanceof UnreadableBody) throw new HttpError(400, body.reason);
      })
      .post(
        "/register",
        async ({ body, set }) => {
          const registration = { username: body.username, email: body.email, password: body.pwd };
          const problem = registrationError(registration);
          if (problem) throw new HttpError(400, problem);
          if ((await createUser(db, registration)) === undefined) throw new HttpError(400, USERNAME_TAKEN);
          set.status = 204;
        },
        {
          query: Latest,
          parse: "json",
          body: t.Object(
            {
              username: t.String({
                description: `At most ${LIMITS.username} characters`,
                error: "You have to enter a username",
              }),
              email: t.String({ description: "Must contain @", error: "You have to enter a valid email address" }),
              pwd: t.String({ error: "You have to enter a password" }),
            },
            { additionalProperties: false },
          ),
          detail: doc("Register a user", {
            204: [DONE],
            400: ["A field is missing or wrong, or the username is already taken", ErrorBody],
            403: ["Missing or wrong credential", Forbidden],
          }),
        },
      )
      .get(
        "/msgs",
        async ({ query, set }) => {
          const no = Math.min(query.no ?? NO_DEFAULT, NO_CAP);
          set.headers["content-type"] = JSON_TYPE;
          const key = `public:${no}`;
          const ids = listings.wanted(key) ? await latestPublic(no, undefined) : undefined;
          return listing(key, ids, () => apiMessages(db, no));
        },
        {
          query: Listing,
          detail: doc("The newest messages of everyone", {
            200: ["Newest first, flagged messages left out", t.Array(Message)],
            400: [BAD, ErrorBody],
            403: ["Missing or wrong credential", Forbidden],
          }),
        },
      )
      .get(
        "/msgs/:username",
        async ({ params, query, set }) => {
          const no = Math.min(query.no ?? NO_DEFAULT, NO_CAP);
          const key = `user:${params.username}:${no}`;
          let ids: string | undefined;
          let author: { id: number } | undefined;
          if (listings.asked(key)) {
            // Kept, or worth keeping from now on: one statement reads the user and the ids together,
            // shared with the requests for other users' listings that arrived meanwhile.
            const found = await latestUserPage(no, params.username);
            author = found?.user;
            ids = found?.ids;
          } else {
            author = await userByName(db, params.username);
            // Only names of real users are remembered as asked for; from the second time on, kept.
            if (author) listings.wanted(key);
          }
          if (!author) throw notFound("Unknown user");
          const authorId = author.id;
          set.headers["content-type"] = JSON_TYPE;
          return listing(key, ids, () => apiMessages(db, no, authorId));
        },
        {
          params: Username,
          query: Listing,
          detail: doc("The newest messages of one user", {
            200: ["Newest first, flagged messages left out", t.Array(Message)],
            400: [BAD, ErrorBody],
            403: ["Missing or wrong credential", Forbidden],
            404: ["Unknown user", ErrorBody],
          }),
        },
      )
      .post(
        "/msgs/:username",
        async ({ params, body, set }) => {
          const problem = messageError(body.content);
          if (problem) throw new HttpError(400, problem);
          if ((await postMessageAs(db, params.username, body.content)) === undefined) throw notFound("Unknown user");
          set.status = 204;
        },
        {
          params: Username,
          query: Latest,
          parse: "json",
          body: t.Object(
            {
              content: t.String({
                description: `Not empty, at most ${MESSAGE_MAX} characters`,
                error: "You have to enter a message",
              }),
            },
            { additionalProperties: false },
          ),
          detail: doc("Post a message as a user", {
            204: [DONE],
            400: ["Missing, empty or over-long content", ErrorBody],
            403: ["Missing or wrong credential", Forbidden],
            404: ["Unknown user", ErrorBody],
          }),
        },
      )
      .get(
        "/fllws/:username",
        async ({ params, query }) => {
          const who = await user(params.username);
          return { follows: await followedNames(db, who.id, Math.min(query.no ?? NO_DEFAULT, NO_CAP)) };
        },
        {
          params: Username,
          query: Listing,
          detail: doc("Whom a user follows", {
            200: ["At most `no` names", t.Object({ follows: t.Array(t.String()) })],
            400: [BAD, ErrorBody],
            403: ["Missing or wrong credential", Forbidden],
            404: ["Unknown user", ErrorBody],
          }),
        },
      )
      .post(
        "/fllws/:username",
        async ({ params, body, set }) => {
          if ((body.follow === undefined) === (body.unfollow === undefined)) {
            throw new HttpError(400, 'Send exactly one of "follow" and "unfollow"');
          }
          const action = body.follow !== undefined ? "follow" : "unfollow";
          const found = await setFollowByName(db, action, params.username, (body.follow ?? body.unfollow) as string);
          if (!found.who) throw notFound("Unknown user");
          if (!found.whom) throw notFound(`Unknown user to ${action}`);
          set.status = 204;
        },
        {
          params: Username,
          query: Latest,
          parse: "json",
          body: t.Object(
            {
              follow: t.Optional(t.String({ description: "Start following this user (idempotent)" })),
              unfollow: t.Optional(t.String({ description: "Stop following this user (idempotent)" })),
            },
            { additionalProperties: false, description: "Exactly one of the two keys" },
          ),
          detail: doc("Follow or unfollow a user", {
            204: [DONE],
            400: ["Neither or both keys, or a value that is not a string", ErrorBody],
            403: ["Missing or wrong credential", Forbidden],
            404: ["Either user is unknown", ErrorBody],
          }),
        },
      )
  );
}

/** GET /openapi.json generated from the schemas above, and the reference page at GET /docs. */
export function apiDocs(config: Config) {
  return openapi({
    // The reference page is the program's own (docs.ts), with its assets from an npm package.
    provider: null,
    specPath: "/openapi.json",
    exclude: { paths: ["/health", "/openapi.json"] },
    documentation: {
      info: {
        title: "MiniTwit simulator API",
        version: config.version,
        description:
          "The JSON API that the course's simulator drives. Every endpoint but GET /latest needs the " +
          'simulator\'s Basic credential. Errors are JSON: {"status", "error_msg"}. ' +
          `\`no\` defaults to ${NO_DEFAULT} and is capped at ${NO_CAP}; messages hold at most ${MESSAGE_MAX} characters.`,
      },
      tags: [{ name: "simulator", description: "The endpoints of the course's simulator" }],
      components: { securitySchemes: { simulator: { type: "http", scheme: "basic" } } },
    },
  });
}

/** The methods a path answers to (for 405 and its Allow header); empty when no route matches. */
export function allowedMethods(routes: readonly { method: string; path: string }[], pathname: string): string[] {
  const methods = new Set<string>();
  for (const route of routes) {
    const pattern = route.path
      .split("/")
      .map((part) =>
        part.startsWith(":") ? "[^/]+" : part === "*" ? ".*" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
      )
      .join("/");
    if (new RegExp(`^${pattern}/?$`).test(pathname)) methods.add(route.method);
  }
  return [...methods];
}
