// Test support: a fresh real database per file (PGlite, or PostgreSQL at TEST_DATABASE_URL),
// the real program listening on loopback ports, and a small cookie-keeping HTTP client.
import postgres from "postgres";
import { buildApps } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
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
