// The command line of the program and of the compiled executable: serve, migrate, the moderation commands,
// and the report of look-alike user names.
import { parseArgs } from "node:util";
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { CONFUSABLES } from "./data/confusables.ts";
import { type ListedMessage, listMessages, setFlagged } from "./data/moderation.ts";
import { type LookAlike, lookAlikeNames, userByName } from "./data/users.ts";
import { DatabaseUnavailable, type Db, isUnavailable, openDb } from "./db.ts";
import { migrate } from "./migrate.ts";
import { eventStream, moderationLogger } from "./moderation-log.ts";

/** Exit codes, the same for every command (documented in docs/moderation.md). */
export const EXIT = {
  ok: 0,
  /** An id or user name that names nothing; nothing was changed. */
  notFound: 1,
  /** Bad arguments, or a bad configuration in the environment. */
  usage: 2,
  /** The database cannot be reached, is in use (embedded), or has no schema yet. */
  unavailable: 3,
  /** Anything else: a bug, reported with its stack. */
  failure: 4,
} as const;

export interface Stream {
  write(text: string): unknown;
}

/** What a command may touch: the environment and the two output streams (tests pass their own). */
export interface Io {
  env: Record<string, string | undefined>;
  stdout: Stream;
  stderr: Stream;
  /** An open database to use instead of opening one from the configuration (tests); left open. */
  db?: Db;
}

/** A command's view of the world: its streams, and the configuration, read when first needed. */
interface Run {
  io: Io;
  config(): Config;
}

class UsageError extends Error {}
class NotFound extends Error {}

const USAGE = `Usage: minitwit [command] [options]

Commands:
  serve                 serve the web pages and the simulator API (the default)
  migrate               apply the database migrations not yet applied
  healthcheck           exit 0 when this container's server answers /health (Docker's HEALTHCHECK)
  messages              list messages, newest first, flagged or not, to find what to flag
  flag ID...            hide messages from every timeline and the API, at once, on every replica
  unflag ID...          show flagged messages again
  names                 list user names that look alike (registered before they were refused)

Run "minitwit COMMAND --help" for a command's options. Configuration comes from the environment
(DATABASE_URL, or DATA_DIR for the embedded database; MINITWIT_OPERATOR names who moderates).
Exit codes: 0 done, 1 unknown id or user (nothing changed), 2 bad arguments or configuration,
3 database unreachable or not migrated, 4 unexpected error.
`;

const HELP: Record<string, string> = {
  serve: `Usage: minitwit serve

Serves the web pages on PORT (5000) and the simulator API on API_PORT (5001), or only one of
them (ROLE=web|api), over DATABASE_URL or the embedded database in DATA_DIR. Applies pending
migrations first unless MIGRATE=false. Stops cleanly on SIGTERM.
`,
  healthcheck: `Usage: minitwit healthcheck

Asks /health on 127.0.0.1 at the ports this ROLE serves (PORT, API_PORT); exits 0 when every one
answers 200, else 1. The image's HEALTHCHECK runs it (there is no curl in the image).
`,
  migrate: `Usage: minitwit migrate

Applies the migrations not yet applied, under an advisory lock (safe beside running replicas),
and names them on stderr.
`,
  messages: `Usage: minitwit messages [--user NAME] [--contains TEXT] [--flagged] [--limit N] [--json]

Lists messages newest first, flagged or not: id, author, time (UTC), flagged, text.

Options:
  --user NAME        only messages by this user (exact name)
  --contains TEXT    only messages containing TEXT (case-insensitive; % and _ are plain characters)
  --flagged          only flagged messages
  --limit N          at most N messages, 1 to 1000 (default 50)
  --json             a JSON array of {id, author, pub_date, flagged, text} instead of a table
  -h, --help         this text

Control characters in texts are shown escaped (\\n, \\u001b), so a message cannot drive the terminal.
`,
  flag: `Usage: minitwit flag ID...

Flags the messages with these ids: they disappear from the public timeline, the authors' pages,
home timelines and the API at once, on every replica. All or nothing: if any id names no message,
nothing changes and the command exits 1 naming the unknown ids. Flagging a flagged message is a
no-op. Writes one ECS log event (event.action "flag", the ids, user.name from MINITWIT_OPERATOR
or the login name) on stdout for Filebeat, and a summary on stderr. Undo with "minitwit unflag".

Environment:
  MINITWIT_OPERATOR    your name, for the log (default: the login name)
  MINITWIT_EVENT_LOG   a file that also gets the event; under "docker exec", /proc/1/fd/1 puts it
                       in the container's log, where Filebeat reads it
`,
  names: `Usage: minitwit names [--json]

Lists the groups of users whose names look the same (one normalised form: case, width, look-alike
letters of other scripts, invisible characters), oldest first. Registration refuses such names now;
these rows are older, or came in through an older version. Nothing is changed: every row still signs
in and is found by its exact name. The oldest of a group holds the name; the others are listed to be
dealt with by hand (ask the user, rename it by SQL). Exits 0, with "no look-alike names" when none.

Options:
  --json             a JSON array of groups of {id, username, holds_name, created_at}
  -h, --help         this text
`,
  unflag: `Usage: minitwit unflag ID...

Unflags the messages with these ids: they show again everywhere, at once. All or nothing, as
for flag; writes an ECS log event with event.action "unflag".
`,
};

const MAX_ID = 2_147_483_647;
const MAX_IDS = 1000;
export const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1000;
// The operators' listing may scan the table (`--contains`): give it longer than a page request.
const STATEMENT_TIMEOUT_MS = 60_000;
// postgres.js keeps a query waiting while it retries connecting to a host that does not answer
// (a dropped route): an operator should hear of it after a few seconds, not after the statement timeout.
const CONNECT_TIMEOUT_MS = 5000;

/** Message ids from the arguments: positive integers, spaces or commas between them. */
export function parseIds(args: readonly string[]): number[] {
  const parts = args.flatMap((a) => a.split(",")).filter((p) => p.trim() !== "");
  if (parts.length === 0) throw new UsageError("give at least one message id");
  const bad = parts.filter((p) => !/^[1-9][0-9]{0,9}$/.test(p.trim()) || Number(p) > MAX_ID);
  if (bad.length > 0) {
    throw new UsageError(
      `not a message id: ${bad.map((b) => JSON.stringify(b)).join(", ")} (ids are positive integers)`,
    );
  }
  const ids = [...new Set(parts.map(Number))];
  if (ids.length > MAX_IDS) throw new UsageError(`at most ${MAX_IDS} ids at a time`);
  return ids;
}

type Options = Record<string, { type: "string" | "boolean"; short?: string }>;
interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

function parse(command: string, args: string[], options: Options = {}): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: command === "flag" || command === "unflag",
      strict: true,
    });
    return { values: values as Parsed["values"], positionals };
  } catch (error) {
    // node:util's messages name the option; drop its advice about "--", as ids are never negative.
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ""));
  }
}

// C0 and C1 controls, line and paragraph separators, bidirectional overrides and isolates.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are what is escaped
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Text made safe for a terminal: control characters become visible escapes. */
export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => {
    if (c === "\n") return "\\n";
    if (c === "\t") return "\\t";
    if (c === "\r") return "\\r";
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The listing as an aligned table: one line per message, the text last and whole. */
export function formatTable(rows: readonly ListedMessage[]): string {
  const lines = [["ID", "AUTHOR", "TIME (UTC)", "FLAGGED", "TEXT"]];
  for (const r of rows) {
    lines.push([
      String(r.id),
      printable(r.author),
      isoSeconds(r.pub_date),
      r.flagged ? "yes" : "no",
      printable(r.text),
    ]);
  }
  const widths = [0, 1, 2, 3].map((i) => Math.max(...lines.map((l) => (l[i] ?? "").length)));
  return lines
    .map((l) =>
      [
        (l[0] ?? "").padStart(widths[0] ?? 0),
        (l[1] ?? "").padEnd(widths[1] ?? 0),
        (l[2] ?? "").padEnd(widths[2] ?? 0),
        (l[3] ?? "").padEnd(widths[3] ?? 0),
        l[4],
      ].join("  "),
    )
    .join("\n")
    .concat("\n");
}

function toJson(rows: readonly ListedMessage[]): string {
  const out = rows.map((r) => ({
    id: r.id,
    author: r.author,
    pub_date: isoSeconds(r.pub_date),
    flagged: r.flagged,
    text: r.text,
  }));
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** Where the database is, for messages: host, port and name, never the password. */
function describeTarget(config: Config): string {
  if (!config.databaseUrl) return `the embedded database in ${config.dataDir}`;
  try {
    const url = new URL(config.databaseUrl);
    return `PostgreSQL at ${url.host}${url.pathname}`;
  } catch {
    return "PostgreSQL at DATABASE_URL";
  }
}

// Connected, but refused: wrong password, unknown role or database; or nothing migrated yet.
const CANNOT_USE = new Set(["28000", "28P01", "3D000", "08001", "08004", "08006"]);

/** The exit code and the line for stderr for an error of any command. */
export function describeFailure(error: unknown, config?: Config): { code: number; message: string } {
  const message = (error as Error)?.message ?? String(error);
  if (error instanceof UsageError) return { code: EXIT.usage, message };
  if (error instanceof NotFound) return { code: EXIT.notFound, message };
  if (error instanceof ConfigError) return { code: EXIT.usage, message: `configuration: ${message}` };
  const where = config ? describeTarget(config) : "the database";
  const code = (error as { code?: string } | null)?.code;
  if (code === "57014") {
    return { code: EXIT.unavailable, message: `${where} did not answer within ${STATEMENT_TIMEOUT_MS / 1000} s` };
  }
  if (code === "42P01") {
    return { code: EXIT.unavailable, message: `${where} has no MiniTwit tables: run "minitwit migrate" first` };
  }
  if (isUnavailable(error) || (code !== undefined && CANNOT_USE.has(code))) {
    return { code: EXIT.unavailable, message: `cannot use ${where}: ${message}` };
  }
  return { code: EXIT.failure, message: `unexpected error: ${(error as Error)?.stack ?? message}` };
}

function open(config: Config): Promise<Db> {
  return openDb({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    pool: 1,
    statementTimeout: STATEMENT_TIMEOUT_MS,
  });
}

function help(io: Io, command: string): number {
  io.stdout.write(HELP[command] ?? USAGE);
  return EXIT.ok;
}

/** Opens the database, runs `fn`, closes the database whatever happened. */
async function withDb<T>(io: Io, config: Config, fn: (db: Db) => Promise<T>): Promise<T> {
  if (io.db) return fn(io.db);
  const db = await open(config);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DatabaseUnavailable(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)),
      CONNECT_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([db.query("health"), deadline]);
  } catch (error) {
    db.close().catch(() => {}); // not awaited: it would wait for the connection attempts to give up
    throw error;
  } finally {
    clearTimeout(timer);
  }
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function flagCommand({ io, ...run }: Run, args: string[], flagged: boolean): Promise<number> {
  const action = flagged ? "flag" : "unflag";
  const { values, positionals } = parse(action, args);
  if (values.help) return help(io, action);
  const ids = parseIds(positionals);
  const config = run.config();
  if (!config.operator) {
    io.stderr.write("warning: set MINITWIT_OPERATOR to your name, so that the log says who moderated\n");
  }
  const log = moderationLogger(config, eventStream(config, io.stdout));
  const result = await withDb(io, config, (db) => setFlagged(db, ids, flagged));
  const fields = {
    event: {
      kind: "event",
      category: ["database"],
      type: ["change"],
      action,
      outcome: result.unknown.length > 0 ? "failure" : "success",
    },
    user: { name: config.operator ?? "unknown" },
    minitwit: { moderation: { ids, ...result } },
  };
  if (result.unknown.length > 0) {
    log.warn(fields, `${action} refused: no message with id ${result.unknown.join(", ")}`);
    throw new NotFound(`no message with id ${result.unknown.join(", ")}; nothing was changed`);
  }
  log.info(fields, `${flagged ? "flagged" : "unflagged"} message ${ids.join(", ")}`);
  const done = result.changed.length > 0 ? `${action}ged ${result.changed.join(", ")}` : `nothing to ${action}`;
  const already = result.unchanged.length > 0 ? ` (already ${action}ged: ${result.unchanged.join(", ")})` : "";
  io.stderr.write(`${done}${already}\n`);
  return EXIT.ok;
}

function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  if (!/^[0-9]{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_LIMIT) {
    throw new UsageError(`--limit must be an integer from 1 to ${MAX_LIMIT}, not ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

async function messagesCommand({ io, ...run }: Run, args: string[]): Promise<number> {
  const { values } = parse("messages", args, {
    user: { type: "string" },
    contains: { type: "string" },
    flagged: { type: "boolean" },
    limit: { type: "string" },
    json: { type: "boolean" },
  });
  if (values.help) return help(io, "messages");
  const limit = parseLimit(values.limit as string | undefined);
  const user = values.user as string | undefined;
  const contains = values.contains as string | undefined;
  if (contains === "") throw new UsageError("--contains needs some text");
  const rows = await withDb(io, run.config(), async (db) => {
    const author = user === undefined ? undefined : await userByName(db, user);
    if (user !== undefined && !author) throw new NotFound(`no user named ${JSON.stringify(user)}`);
    return listMessages(db, { authorId: author?.id, contains, flagged: values.flagged === true, limit });
  });
  if (values.json) {
    io.stdout.write(toJson(rows));
    return EXIT.ok;
  }
  if (rows.length === 0) {
    io.stderr.write("no messages match\n");
    return EXIT.ok;
  }
  io.stdout.write(formatTable(rows));
  if (rows.length === limit) io.stderr.write(`showing the newest ${limit}; --limit N shows more\n`);
  return EXIT.ok;
}

const HIDDEN = /[\p{C}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;

/** A name with what makes it look like another shown as \\u escapes: invisible characters, look-alike letters. */
function revealed(name: string): string {
  let out = "";
  for (const ch of name) {
    const cp = ch.codePointAt(0) as number;
    out += HIDDEN.test(ch) || CONFUSABLES.has(cp) ? `\\u${cp.toString(16).padStart(4, "0")}` : ch;
  }
  return out;
}

function formatNames(groups: readonly LookAlike[][]): string {
  const lines = groups.flatMap((group, i) => [
    ...(i > 0 ? [""] : []),
    ...group.map(
      (u) =>
        `${String(u.id).padStart(10)}  ${isoSeconds(u.createdAt)}  ${u.holdsKey ? "holds the name" : "look-alike    "}  ${revealed(u.username)}`,
    ),
  ]);
  return `${lines.join("\n")}\n`;
}

async function namesCommand({ io, config }: Run, args: string[]): Promise<number> {
  const { values } = parse("names", args, { json: { type: "boolean" } });
  if (values.help) return help(io, "names");
  const groups = await withDb(io, config(), lookAlikeNames);
  if (values.json) {
    const out = groups.map((g) =>
      g.map((u) => ({ id: u.id, username: u.username, holds_name: u.holdsKey, created_at: isoSeconds(u.createdAt) })),
    );
    io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return EXIT.ok;
  }
  if (groups.length === 0) {
    io.stderr.write("no look-alike names\n");
    return EXIT.ok;
  }
  io.stdout.write(formatNames(groups));
  io.stderr.write(`${groups.length} group(s) of look-alike names; every row still works\n`);
  return EXIT.ok;
}

async function migrateCommand({ io, config }: Run, args: string[]): Promise<number> {
  const { values } = parse("migrate", args);
  if (values.help) return help(io, "migrate");
  const done = await withDb(io, config(), migrate);
  io.stderr.write(done.length ? `applied ${done.join(", ")}\n` : "nothing to migrate\n");
  return EXIT.ok;
}

async function healthcheckCommand({ io, config }: Run, args: string[]): Promise<number> {
  const { values } = parse("healthcheck", args);
  if (values.help) return help(io, "healthcheck");
  const { healthcheck } = await import("./healthcheck.ts");
  await healthcheck(config());
  return EXIT.ok;
}

async function serveCommand({ io, config }: Run, args: string[]): Promise<number | undefined> {
  const { values } = parse("serve", args);
  if (values.help) return help(io, "serve");
  // Imported here so that the operator commands start without loading the web app.
  const { serve } = await import("./serve.ts");
  await serve(config());
  return undefined;
}

/**
 * Runs one command. Returns its exit code, or undefined when the command keeps running (serve).
 * Errors become a line on stderr and their exit code; nothing is thrown.
 */
export async function runCli(argv: readonly string[], io: Io): Promise<number | undefined> {
  const [first, ...rest] = argv;
  if (first === "help" || first === "--help" || first === "-h") {
    const topic = rest[0];
    io.stdout.write(topic && HELP[topic] ? HELP[topic] : USAGE);
    return EXIT.ok;
  }
  // No command, or options only: serve, the default (as the container starts it).
  const command = first === undefined || first.startsWith("-") ? "serve" : first;
  const args = command === first ? rest : [...argv];
  let config: Config | undefined;
  const run: Run = { io, config: () => (config ??= loadConfig(io.env)) };
  try {
    switch (command) {
      case "serve":
        return await serveCommand(run, args);
      case "migrate":
        return await migrateCommand(run, args);
      case "healthcheck":
        return await healthcheckCommand(run, args);
      case "messages":
        return await messagesCommand(run, args);
      case "flag":
        return await flagCommand(run, args, true);
      case "unflag":
        return await flagCommand(run, args, false);
      case "names":
        return await namesCommand(run, args);
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (error) {
    const { code, message } = describeFailure(error, config);
    const hint = error instanceof UsageError ? `\n${HELP[command] ? `see "minitwit ${command} --help"` : USAGE}` : "";
    io.stderr.write(`minitwit ${command}: ${message}${hint}\n`);
    return code;
  }
}
