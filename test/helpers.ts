// Test support: a fresh real database per file (PGlite, or PostgreSQL at TEST_DATABASE_URL),
// the real program listening on loopback ports, and a small cookie-keeping HTTP client.
import { afterAll, beforeAll } from "bun:test";
import postgres from "postgres";
import { buildApps } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { createUser } from "../src/data/users.ts";
import { type Db, type DbOptions, openDb } from "../src/db.ts";
import { migrate } from "../src/migrate.ts";
import { SERVE_LIMITS } from "../src/security.ts";

export interface TestDb {
  db: Db;
  /** The PostgreSQL URL of the throw-away database, when running on PostgreSQL. */
  url?: string;
  close(): Promise<void>;
}

/** A migrated database of this test file's own; `observe` is openDb's metrics hook. */
export async function testDb(options: Pick<DbOptions, "observe"> = {}): Promise<TestDb> {
  const server = process.env.TEST_DATABASE_URL;
  if (!server) {
    const db = await openDb({ dataDir: "memory://", ...options });
    await migrate(db);
    return { db, close: () => db.close() };
  }
  const name = `minitwit_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = postgres(server, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  const db = await openDb({ url: url.toString(), pool: 10, ...options });
  await migrate(db);
  return {
    db,
    url: url.toString(),
    async close() {
      await db.close();
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Registers these users (email NAME@example.com, password "secret"); their ids by name. */
async function createUsers<N extends string>(db: Db, ...names: N[]): Promise<Record<N, number>> {
  const ids = {} as Record<N, number>;
  for (const username of names) {
    ids[username] = (await createUser(db, {
      username,
      email: `${username}@example.com`,
      password: "secret",
    })) as number;
  }
  return ids;
}

/**
 * A database with these users for the tests of the enclosing file or describe: made before them, closed
 * after them. Read its fields inside the tests (they are set by then).
 */
export function databaseWithUsers<N extends string>(...names: N[]): { store: TestDb; ids: Record<N, number> } {
  const fixture = {} as { store: TestDb; ids: Record<N, number> };
  beforeAll(async () => {
    fixture.store = await testDb();
    fixture.ids = await createUsers(fixture.store.db, ...names);
  });
  afterAll(() => fixture.store?.close());
  return fixture;
}

export interface TestApp extends TestDb {
  web: string;
  api: string;
  stop(): Promise<void>;
}

export interface Listening {
  web: string;
  api: string;
  stop(): Promise<void>;
}

/** Built apps listening on ephemeral loopback ports, with the program's body limit. */
export function listenApps(apps: ReturnType<typeof buildApps>): Listening {
  const web = apps.web.listen({ port: 0, hostname: "127.0.0.1", ...SERVE_LIMITS });
  const api = apps.api.listen({ port: 0, hostname: "127.0.0.1", ...SERVE_LIMITS });
  return {
    web: `http://127.0.0.1:${web.server?.port}`,
    api: `http://127.0.0.1:${api.server?.port}`,
    async stop() {
      await web.stop(true);
      await api.stop(true);
    },
  };
}

/** The program's apps on ephemeral loopback ports, over a fresh database. */
export async function startApp(env: Record<string, string> = {}): Promise<TestApp> {
  const store = await testDb();
  const config = loadConfig({ LOG_LEVEL: "silent", ...env });
  const servers = listenApps(buildApps({ config, db: store.db }));
  return {
    ...store,
    ...servers,
    async stop() {
      await servers.stop();
      await store.close();
    },
  };
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  url: string;
}

/** A browser-like client: keeps the session cookie, follows redirects on request. */
export class Client {
  cookie = "";

  constructor(readonly base: string) {}

  async request(
    method: string,
    path: string,
    options: { form?: Record<string, string>; follow?: boolean; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    let url = new URL(path, this.base).toString();
    let init: RequestInit = {
      method,
      redirect: "manual",
      headers: { ...(this.cookie ? { cookie: this.cookie } : {}), ...options.headers },
      body: options.form ? new URLSearchParams(options.form) : undefined,
    };
    for (let hops = 0; ; hops++) {
      const response = await fetch(url, init);
      const setCookie = response.headers.get("set-cookie");
      if (setCookie) {
        const pair = setCookie.split(";")[0] ?? "";
        this.cookie = /Max-Age=0/i.test(setCookie) ? "" : pair;
      }
      const location = response.headers.get("location");
      if (options.follow && location && response.status >= 300 && response.status < 400 && hops < 5) {
        await response.arrayBuffer();
        url = new URL(location, url).toString();
        init = { method: "GET", redirect: "manual", headers: this.cookie ? { cookie: this.cookie } : {} };
        continue;
      }
      return { status: response.status, headers: response.headers, text: await response.text(), url };
    }
  }

  get(path: string, follow = true): Promise<Answer> {
    return this.request("GET", path, { follow });
  }

  post(path: string, form: Record<string, string>, follow = true): Promise<Answer> {
    return this.request("POST", path, { form, follow });
  }

  register(username: string, password = "secret", email = `${username.replace(/\s/g, ".")}@example.com`) {
    return this.post("/register", { username, email, password, password2: password });
  }

  login(username: string, password = "secret") {
    return this.post("/login", { username, password });
  }

  logout() {
    return this.get("/logout");
  }
}

export interface RawAnswer {
  status: number;
  /** Header names in lower case. */
  headers: Map<string, string>;
  body: string;
}

/**
 * One HTTP/1.1 connection that sends bytes exactly as given (fetch normalises paths such as `//x`)
 * and reads whole answers back (Content-Length or chunked), for tests of path spellings and
 * connection handling.
 */
export class RawConnection {
  private buffer = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  private socket: Awaited<ReturnType<typeof Bun.connect>> | undefined;
  /** Resolves when the server closed the connection. */
  readonly closed: Promise<void>;
  private markClosed: () => void = () => {};
  isClosed = false;

  constructor(readonly base: string) {
    this.closed = new Promise((resolve) => {
      this.markClosed = resolve;
    });
  }

  async open(): Promise<this> {
    const url = new URL(this.base);
    this.socket = await Bun.connect({
      hostname: url.hostname,
      port: Number(url.port),
      socket: {
        data: (_socket, data) => {
          this.buffer = Buffer.concat([this.buffer, data]);
          this.wake?.();
        },
        close: () => {
          this.isClosed = true;
          this.markClosed();
          this.wake?.();
        },
        error: () => {},
      },
    });
    return this;
  }

  /** Sends a request: method, path exactly as given, headers, optional body (Content-Length added). */
  send(method: string, path: string, headers: Record<string, string> = {}, body = ""): void {
    const host = new URL(this.base).host;
    const lines = [`${method} ${path} HTTP/1.1`, `host: ${host}`];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    if (body || method === "POST") lines.push(`content-length: ${Buffer.byteLength(body)}`);
    this.socket?.write(`${lines.join("\r\n")}\r\n\r\n${body}`);
  }

  private async need(test: () => number): Promise<number> {
    for (;;) {
      const at = test();
      if (at >= 0) return at;
      if (this.isClosed) throw new Error(`connection closed before a whole answer: ${this.buffer.toString()}`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  /** The next whole answer on this connection. */
  async answer(): Promise<RawAnswer> {
    const end = await this.need(() => this.buffer.indexOf("\r\n\r\n"));
    const [statusLine = "", ...headerLines] = this.buffer.subarray(0, end).toString().split("\r\n");
    const headers = new Map<string, string>();
    for (const line of headerLines) {
      const colon = line.indexOf(":");
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    this.buffer = this.buffer.subarray(end + 4);
    let body = Buffer.alloc(0);
    if (headers.get("transfer-encoding")?.includes("chunked")) {
      for (;;) {
        const line = await this.need(() => this.buffer.indexOf("\r\n"));
        const size = Number.parseInt(this.buffer.subarray(0, line).toString(), 16);
        await this.need(() => (this.buffer.length >= line + 2 + size + 2 ? 0 : -1));
        body = Buffer.concat([body, this.buffer.subarray(line + 2, line + 2 + size)]);
        this.buffer = this.buffer.subarray(line + 2 + size + 2);
        if (size === 0) break;
      }
    } else {
      const length = Number(headers.get("content-length") ?? 0);
      await this.need(() => (this.buffer.length >= length ? 0 : -1));
      body = this.buffer.subarray(0, length);
      this.buffer = this.buffer.subarray(length);
    }
    return { status: Number(statusLine.split(" ")[1]), headers, body: body.toString() };
  }

  close(): void {
    this.socket?.end();
  }
}

/** One request on a connection of its own, sent byte for byte (see RawConnection). */
export async function rawRequest(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body = "",
): Promise<RawAnswer> {
  const connection = await new RawConnection(base).open();
  try {
    connection.send(method, path, headers, body);
    return await connection.answer();
  } finally {
    connection.close();
  }
}
