// The one database interface: PostgreSQL through postgres.js, or embedded PGlite, same SQL files.
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { messages } from "@electric-sql/pglite";
import postgres from "postgres";
import type { WorkerError, WorkerReply, WorkerRequest } from "./pglite-worker.ts";
import { type QueryName, queries } from "./sql.ts";

export type Row = Record<string, unknown>;
export type Params = readonly unknown[];

export interface Queryable {
  /** Runs the named SQL file with positional parameters and returns its rows. */
  query<T = Row>(name: QueryName, params?: Params): Promise<T[]>;
  /** Runs SQL text that holds no user input (migrations, seeding); several statements allowed. */
  exec(text: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly engine: "postgres" | "pglite";
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** Connections of the pool and how many are busy now (metrics). */
  pool(): { size: number; inUse: number };
  /** Opens every connection of the pool now instead of on the first requests that need them. */
  connect(): Promise<void>;
}

export interface DbOptions {
  /** PostgreSQL URL; without it, PGlite stores under dataDir. */
  url?: string;
  /** PGlite's folder, or `memory://` for a throw-away database. */
  dataDir?: string;
  pool?: number;
  /** Per-statement timeout in milliseconds, so that no request hangs on the database. */
  statementTimeout?: number;
  /** Called after each named query with its duration in seconds (metrics). */
  observe?: (name: QueryName, seconds: number, ok: boolean) => void;
}

const DEFAULT_TIMEOUT = 5000;

/** Raised when the database cannot be reached: pages and the API answer 503. */
export class DatabaseUnavailable extends Error {
  override name = "DatabaseUnavailable";
}

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND", // the host name does not resolve (yet): Swarm DNS while the db service starts
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "EPIPE",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "57P01", // admin_shutdown
  "57P03", // cannot_connect_now
  "57014", // query_canceled (statement timeout)
]);

/** True for errors that mean "the database is away", not "the query was wrong". */
export function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return error instanceof DatabaseUnavailable || (code !== undefined && CONNECTION_CODES.has(code));
}

/** Rejects with DatabaseUnavailable when the promise has not settled within `ms`; calls onTimeout first. */
function withDeadline<T>(promise: Promise<T>, ms: number, onTimeout?: () => void): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new DatabaseUnavailable(`no answer from the database within ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function timed(options: DbOptions, run: (name: QueryName, params: Params) => Promise<Row[]>, onTimeout?: () => void) {
  // The server cancels a statement after statementTimeout; the client gives up a second later, for
  // the cases the server cannot help with (a connection that vanished without a reset, a full queue).
  const deadline = (options.statementTimeout ?? DEFAULT_TIMEOUT) + 1000;
  return async <T>(name: QueryName, params: Params = []): Promise<T[]> => {
    const start = performance.now();
    let ok = false;
    try {
      const rows = (await withDeadline(run(name, params), deadline, onTimeout)) as T[];
      ok = true;
      return rows;
    } catch (error) {
      // A statement the server cancelled (57014) says nothing about the connections: keep the pool.
      if (isUnavailable(error) && (error as { code?: string }).code !== "57014") onTimeout?.();
      throw error;
    } finally {
      options.observe?.(name, (performance.now() - start) / 1000, ok);
    }
  };
}

/** Counts work in flight: a query outside a transaction or a whole transaction holds one connection. */
function busyCounter() {
  let busy = 0;
  return {
    get: () => busy,
    async run<T>(work: () => Promise<T>): Promise<T> {
      busy++;
      try {
        return await work();
      } finally {
        busy--;
      }
    },
  };
}

function openPostgres(options: DbOptions & { url: string }): Db {
  const timeout = options.statementTimeout ?? DEFAULT_TIMEOUT;
  const size = options.pool ?? 10;
  const busy = busyCounter();
  function pool() {
    return postgres(options.url, {
      max: size,
      connect_timeout: timeout / 1000,
      idle_timeout: 60,
      // Reconnect soon after a failure (postgres.js waits up to 20 s by default), so recovery is quick.
      backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 0.5),
      onnotice: () => {},
      connection: { statement_timeout: timeout, application_name: "minitwit" },
    });
  }
  let sql = pool();
  let replacedAt = 0;
  // A deadline passed or the database was away: the pool's connections may hang on a peer that is gone
  // without a reset (a cut network), and would never be freed. Replace the pool (at most once per
  // timeout); the old one's sockets are destroyed, so its waiting queries fail at once and the next
  // ones connect anew.
  function replacePool(): void {
    if (Date.now() - replacedAt < timeout) return;
    replacedAt = Date.now();
    const old = sql;
    sql = pool();
    old.end({ timeout: 0 }).catch(() => {});
  }
  function on(conn: () => postgres.Sql | postgres.TransactionSql): Queryable {
    return {
      // A plain array, not postgres.js's Result (an Array subclass): Elysia serialises a returned
      // Result without the headers set for the response (X-Request-Id, security headers).
      query: timed(
        options,
        async (name, params) => [
          ...(await conn().unsafe(queries[name], params as postgres.ParameterOrJSON<never>[], { prepare: true })),
        ],
        replacePool,
      ),
      exec: async (text) => {
        await withDeadline(conn().unsafe(text), timeout + 1000, replacePool);
      },
    };
  }
  const top = on(() => sql);
  return {
    engine: "postgres",
    query: (name, params) => busy.run(() => top.query(name, params)),
    exec: (text) => busy.run(() => top.exec(text)),
    transaction: (fn) =>
      busy.run(() =>
        withDeadline(sql.begin((tx) => fn(on(() => tx))) as Promise<never>, 2 * (timeout + 1000), replacePool),
      ),
    close: () => sql.end({ timeout: 5 }),
    // Queries beyond the pool wait (or pipeline) on a busy connection: in use never exceeds the size.
    pool: () => ({ size, inUse: Math.min(busy.get(), size) }),
    // postgres.js opens another connection for a query while all open ones are busy, up to the size:
    // as many short sleeps at once as the pool has connections open them all. Bounded like any query.
    connect: async () => {
      await Promise.all(Array.from({ length: size }, () => top.exec("SELECT pg_sleep(0.02)")));
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
}

/**
 * Takes the embedded database's folder for this process. PGlite works on an in-memory copy and
 * writes it back, so a second process (an operator command beside `npm start`) would work on a
 * stale copy and the last to close would win: it is refused instead. Returns the release function.
 */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "minitwit.lock");
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as { code?: string }).code !== "EEXIST" || attempt > 0) throw error;
      const holder = Number.parseInt(readFileSync(file, "utf8"), 10);
      if (holder !== process.pid && isAlive(holder)) {
        throw new DatabaseUnavailable(
          `the embedded database in ${dir} is in use by process ${holder}; stop that process first (or use DATABASE_URL)`,
        );
      }
      unlinkSync(file); // left by a process that is gone
    }
  }
  return () => {
    try {
      if (readFileSync(file, "utf8") === String(process.pid)) unlinkSync(file);
    } catch {
      // already gone
    }
  };
}

const PGLITE_SHARED_BUFFERS = "32MB";

type Ask = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, "id"> : never) : never;

/** An error from the database's thread, rebuilt here with its class and fields (code, detail, constraint…). */
function rebuildError(error: WorkerError): Error {
  if (error.fields) {
    return Object.assign(new messages.DatabaseError(error.message, Number(error.fields.length), "error"), error.fields);
  }
  const rebuilt = new Error(error.message);
  rebuilt.name = error.name;
  return rebuilt;
}

/**
 * The embedded database's thread (src/pglite-worker.ts): `ask` sends one request and resolves with its reply.
 * The thread keeps the process alive only while a request is pending, as PGlite in-process did not at all.
 */
function pgliteThread() {
  const worker = new Worker(new URL("./pglite-worker.ts", import.meta.url));
  // Bun's Worker has ref and unref; the DOM library's type of the same name lacks them.
  const handle = worker as unknown as Pick<Bun.Worker, "ref" | "unref">;
  handle.unref();
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 1;
  let stopped: Error | undefined;
  function settle(id: number): { resolve(value: unknown): void; reject(error: Error): void } | undefined {
    const waiting = pending.get(id);
    pending.delete(id);
    if (pending.size === 0) handle.unref();
    return waiting;
  }
  function stop(error: Error): void {
    stopped ??= error;
    for (const id of [...pending.keys()]) settle(id)?.reject(stopped);
  }
  // Replies settle their promises on a turn of the event loop of their own, not inside the message
  // dispatch: Bun (1.3.14 to 1.4.5 at least) loses the wake-up of a message that arrives while code run
  // from a dispatch waits in a nested event loop, as bun:test's `expect(promise).rejects` does, and
  // such a test hangs (oven-sh/bun#37189). The replies that arrived meanwhile settle together.
  let arrived: WorkerReply[] = [];
  function deliver(): void {
    const replies = arrived;
    arrived = [];
    for (const reply of replies) {
      const waiting = settle(reply.id);
      if ("error" in reply) waiting?.reject(rebuildError(reply.error));
      else waiting?.resolve(reply.value);
    }
  }
  worker.onmessage = (event: MessageEvent<WorkerReply>) => {
    if (arrived.push(event.data) === 1) setImmediate(deliver);
  };
  // An exception the thread did not catch (PGlite's WebAssembly aborted): its state is unknown, so it is
  // ended, and requests answer 503 from now on.
  worker.onerror = (event) => {
    stop(new DatabaseUnavailable(`the embedded database failed: ${event.message}`));
    worker.terminate();
  };
  worker.addEventListener("close", () => stop(new DatabaseUnavailable("the embedded database is closed")));
  return {
    ask<T = unknown>(request: Ask): Promise<T> {
      if (stopped) return Promise.reject(stopped);
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        if (pending.size === 0) handle.ref();
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        worker.postMessage({ ...request, id } as WorkerRequest);
      });
    },
    terminate(): void {
      stop(new DatabaseUnavailable("the embedded database is closed"));
      worker.terminate();
    },
  };
}

// PGlite runs on a thread of its own (src/pglite-worker.ts), through its own query(text, params) rather
// than postgres.js over pglite-socket: no socket, and no single-connection hang. On the program's thread
// it ran every queued query back to back, and requests, new connections and password hashes waited
// behind them (docs/performance.md, section 8). PGlite serialises the queries itself.
async function openPglite(options: DbOptions): Promise<Db> {
  const dataDir = options.dataDir ?? "./data";
  const unlock = dataDir.startsWith("memory://") ? () => {} : lockDataDir(dataDir);
  const thread = pgliteThread();
  try {
    await thread.ask({ op: "open", dataDir, sharedBuffers: PGLITE_SHARED_BUFFERS });
  } catch (error) {
    thread.terminate();
    unlock();
    throw error;
  }
  const busy = busyCounter();
  // `tx` is an open transaction's id on the thread: its queries run there in order while others wait.
  function on(tx?: number): Queryable {
    return {
      // Nothing to reconnect; the deadline still answers the request when a statement runs long.
      query: timed(options, (name, params) => thread.ask<Row[]>({ op: "query", text: queries[name], params, tx })),
      exec: async (text) => {
        await thread.ask({ op: "exec", text, tx });
      },
    };
  }
  const top = on();
  const closeDeadline = 2 * ((options.statementTimeout ?? DEFAULT_TIMEOUT) + 1000);
  return {
    engine: "pglite",
    query: (name, params) => busy.run(() => top.query(name, params)),
    exec: (text) => busy.run(() => top.exec(text)),
    transaction: (fn) =>
      busy.run(async () => {
        const tx = await thread.ask<number>({ op: "begin" });
        let result: Awaited<ReturnType<typeof fn>>;
        try {
          result = await fn(on(tx));
        } catch (error) {
          await thread.ask({ op: "end", tx, commit: false }).catch(() => {});
          throw error;
        }
        await thread.ask({ op: "end", tx, commit: true });
        return result;
      }),
    close: async () => {
      try {
        await withDeadline(thread.ask({ op: "close" }), closeDeadline);
      } finally {
        thread.terminate();
        unlock();
      }
    },
    pool: () => ({ size: 1, inUse: Math.min(busy.get(), 1) }),
    // The one connection is open from the start.
    connect: async () => {},
  };
}

export async function openDb(options: DbOptions): Promise<Db> {
  return options.url ? openPostgres({ ...options, url: options.url }) : openPglite(options);
}

/**
 * True for values the database refused (class 22 data exceptions such as a NUL character or a number
 * out of range, and check constraints): the client's mistake, answered 400, not a 500.
 */
export function isInvalidData(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (/^22[0-9A-Z]{3}$/.test(code) || code === "23514");
}

/** PostgreSQL's unique_violation, for "already taken" answers decided by the database. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === "23505";
}
