// The embedded database's own thread: PGlite is opened and queried here, so the program's thread only
// serves HTTP. src/db.ts is the other end; it sends the requests below and awaits one reply per request.
import { messages, PGlite, type Transaction } from "@electric-sql/pglite";
// PGlite finds these files next to its module, which a compiled executable does not have:
// imported as files, Bun embeds them in the executable and gives their paths, in both modes.
import initdbWasm from "@electric-sql/pglite/initdb.wasm" with { type: "file" };
import pgliteData from "@electric-sql/pglite/pglite.data" with { type: "file" };
import pgliteWasm from "@electric-sql/pglite/pglite.wasm" with { type: "file" };

declare const self: Worker;

export type WorkerRequest =
  | { id: number; op: "open"; dataDir: string; sharedBuffers: string }
  | { id: number; op: "query"; text: string; params: readonly unknown[]; tx?: number }
  | { id: number; op: "exec"; text: string; tx?: number }
  /** Opens a transaction whose id is this request's id; other queries wait until it ends. */
  | { id: number; op: "begin" }
  | { id: number; op: "end"; tx: number; commit: boolean }
  | { id: number; op: "close" };

/** An error as it crosses the thread: `fields` are a PostgreSQL error's own (code, detail, constraint…). */
export interface WorkerError {
  name: string;
  message: string;
  fields?: Record<string, unknown>;
}

export type WorkerReply = { id: number; value?: unknown } | { id: number; error: WorkerError };

let pg: PGlite | undefined;

interface OpenTransaction {
  tx: Transaction;
  /** The transaction's queries, chained: they run in the order they were sent. */
  queue: Promise<unknown>;
  commit(): void;
  rollback(): void;
  /** Settles once PGlite has committed or rolled back. */
  done: Promise<void>;
}
const transactions = new Map<number, OpenTransaction>();
const ROLLBACK = Symbol("rollback");

function opened(): PGlite {
  if (!pg) throw new Error("the embedded database is not open");
  return pg;
}

async function open(dataDir: string, sharedBuffers: string): Promise<void> {
  const [pgliteWasmModule, initdbWasmModule] = await Promise.all(
    [pgliteWasm, initdbWasm].map(async (path) => WebAssembly.compile(await Bun.file(path).arrayBuffer())),
  );
  pg = await PGlite.create(dataDir, {
    pgliteWasmModule,
    initdbWasmModule,
    fsBundle: Bun.file(pgliteData),
    // PostgreSQL's 128 MB default is allocated inside PGlite's memory from the start; its files are
    // in the operating system's cache (or in memory with memory://) anyway. 32 MB holds a course-sized
    // database many times over and is 96 MB less resident (docs/performance.md).
    startParams: [...PGlite.defaultStartParams, "-c", `shared_buffers=${sharedBuffers}`],
  });
  // A new database is made by initdb in a WebAssembly instance of its own, whose memory stays resident
  // until full collections that an idle heap does not start (docs/performance.md, section 8). This
  // thread's heap holds it: the first collection frees the instance's objects, the second what their
  // finalizers let go.
  Bun.gc(true);
  await Bun.sleep(0);
  Bun.gc(true);
  // PostgreSQL fills each new 16 MB WAL segment with zeros before using it: every query waited 170-300 ms
  // each time the replay crossed into a new segment. Off, the segment is created at its full size in one
  // step. PGlite is one session, so this SET holds for its whole life.
  await pg.exec("SET wal_init_zero = off");
}

function begin(id: number): Promise<void> {
  return new Promise((started, failed) => {
    // PGlite's transaction() holds its lock until the callback settles: the callback waits for "end".
    const done = opened().transaction(
      (tx) =>
        new Promise<void>((commit, rollback) => {
          transactions.set(id, { tx, queue: Promise.resolve(), commit, rollback: () => rollback(ROLLBACK), done });
          started();
        }),
    );
    done.catch(failed); // BEGIN failed; once started, `end` reports the outcome
  });
}

function inTransaction<T>(id: number, work: (tx: Transaction) => Promise<T>): Promise<T> {
  const open = transactions.get(id);
  if (!open) return Promise.reject(new Error(`transaction ${id} is not open`));
  const result = open.queue.then(() => work(open.tx));
  open.queue = result.catch(() => undefined);
  return result;
}

async function end(id: number, commit: boolean): Promise<void> {
  const open = transactions.get(id);
  if (!open) throw new Error(`transaction ${id} is not open`);
  transactions.delete(id);
  await open.queue;
  if (commit) open.commit();
  else open.rollback();
  try {
    await open.done;
  } catch (error) {
    if (error !== ROLLBACK) throw error;
  }
}

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.op) {
    case "open":
      return open(request.dataDir, request.sharedBuffers);
    case "query": {
      const { text, params, tx } = request;
      const run = (conn: Pick<PGlite, "query">) => conn.query(text, params as unknown[]);
      return (tx === undefined ? await run(opened()) : await inTransaction(tx, run)).rows;
    }
    case "exec": {
      const { text, tx } = request;
      await (tx === undefined ? opened().exec(text) : inTransaction(tx, (conn) => conn.exec(text)));
      return undefined;
    }
    case "begin":
      await begin(request.id);
      return request.id;
    case "end":
      return end(request.tx, request.commit);
    case "close":
      return pg?.close();
  }
}

/** The error's name, message and, for a PostgreSQL error, its fields: structured cloning keeps only plain data. */
function describe(error: unknown): WorkerError {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  if (!(error instanceof messages.DatabaseError)) return { name: error.name, message: error.message };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    if (typeof value !== "function" && typeof value !== "symbol") fields[key] = value;
  }
  return { name: error.name, message: error.message, fields };
}

// Each query leaves garbage in this thread's heap (PGlite's protocol messages and rows), which grew by
// about 60 MB during the scenario's replay before the collector ran. A young-generation collection every
// COLLECT_EVERY requests keeps it small: 269-276 MB resident right after the replay at 32 clients, against
// 303-326 MB without, at the same speed (docs/performance.md, section 8).
const COLLECT_EVERY = 500;
let handled = 0;

self.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  if (++handled % COLLECT_EVERY === 0) Bun.gc(false);
  let reply: WorkerReply;
  try {
    reply = { id: request.id, value: await handle(request) };
  } catch (error) {
    reply = { id: request.id, error: describe(error) };
  }
  try {
    self.postMessage(reply);
  } catch (error) {
    // A value that cannot be cloned: the caller still gets an answer.
    self.postMessage({ id: request.id, error: describe(error) } satisfies WorkerReply);
  }
};
