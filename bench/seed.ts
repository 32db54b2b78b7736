// `npm run seed`: fills an empty, migrated PostgreSQL database at course scale with SQL run on the server.
import { parseArgs } from "node:util";
import postgres from "postgres";
import { createUser } from "../src/data/users.ts";
import { openDb } from "../src/db.ts";
import { migrate } from "../src/migrate.ts";
import { runCommand } from "./command.ts";
import { createProgress, type Progress } from "./progress.ts";

/** The one password of every seeded user (`user1` … `userN`). */
export const SEED_PASSWORD = "minitwit-seed";

export interface SeedSizes {
  users: number;
  follows: number;
  messages: number;
}

export interface SeedReport {
  users: number;
  follows: number;
  messages: number;
  flagged: number;
  /** Followers of the most followed authors, and the median author. */
  topFollowers: number[];
  medianFollowers: number;
  /** Follows of the `heavy` users with the most follows (ids base … base+heavy-1). */
  heavy: number;
  heavyFollowsMin: number;
  seconds: number;
}

// Text of the seeded messages: a window of this paragraph, with the characters escaping must handle.
const LOREM =
  "Lorem ipsum dolor sit amet, consectetur adipiscing elit & sed do eiusmod tempor incididunt ut labore " +
  'et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud "exercitation" ullamco laboris nisi ut ' +
  "aliquip ex ea commodo consequat. Duis aute irure dolor in <reprehenderit> in voluptate velit esse " +
  "cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa " +
  "qui officia deserunt mollit anim id est laborum. It's a tweet, isn't it? Sed ut perspiciatis unde " +
  "omnis iste natus error sit voluptatem accusantium doloremque laudantium, totam rem aperiam, eaque ipsa " +
  "quae ab illo inventore veritatis et quasi architecto beatae vitae dicta sunt explicabo.";

/** Share of messages flagged by moderators. */
const FLAGGED_SHARE = 0.01;
/** Spread of the log-normal follower counts: the top authors get tens of thousands, the median a few. */
const FOLLOWERS_SIGMA = 2.1;
/** Spread of the log-normal message counts, correlated with popularity. */
const MESSAGES_SIGMA = 1.3;

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Drops a table's keys, foreign keys and indexes (a bulk load builds them once at the end) and gives the SQL to restore them. */
async function dropKeys(sql: postgres.Sql, table: string): Promise<string[]> {
  const constraints = await sql<{ name: string; def: string; type: string }[]>`
    SELECT conname AS name, pg_get_constraintdef(oid) AS def, contype AS type
    FROM pg_constraint WHERE conrelid = ${table}::regclass AND contype IN ('p', 'u', 'f')`;
  const indexes = await sql<{ name: string; def: string }[]>`
    SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
    FROM pg_index i WHERE i.indrelid = ${table}::regclass
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`;
  for (const c of constraints.filter((c) => c.type === "f"))
    await sql.unsafe(`ALTER TABLE ${table} DROP CONSTRAINT ${c.name}`);
  for (const c of constraints.filter((c) => c.type !== "f"))
    await sql.unsafe(`ALTER TABLE ${table} DROP CONSTRAINT ${c.name}`);
  for (const i of indexes) await sql.unsafe(`DROP INDEX ${i.name}`);
  const add = (c: { name: string; def: string }) => `ALTER TABLE ${table} ADD CONSTRAINT ${c.name} ${c.def}`;
  return [
    ...constraints.filter((c) => c.type !== "f").map(add),
    ...indexes.map((i) => i.def),
    ...constraints.filter((c) => c.type === "f").map(add),
  ];
}

/** The steps of a seed, in order, as its progress shows them. */
const STEPS = 8;

export async function seed(
  url: string,
  sizes: SeedSizes,
  progress: Progress = createProgress({ name: "seed" }),
): Promise<SeedReport> {
  const started = performance.now();
  const { users: n, follows: f, messages: m } = sizes;
  if (n < 2) throw new Error("--users must be at least 2");
  let steps = 0;
  const step = (what: string, total?: number) => progress.phase(`[${++steps}/${STEPS}] ${what}`, total);
  step("users", n);
  // One connection (session settings, temporary tables), no statement timeout: loads take minutes.
  const sql = postgres(url, {
    max: 1,
    onnotice: () => {},
    connection: { statement_timeout: 0, work_mem: "256MB", maintenance_work_mem: "512MB", synchronous_commit: "off" },
  });
  try {
    const app = await openDb({ url, pool: 1 });
    let first: number | undefined;
    try {
      await migrate(app);
      const [{ users: existing } = { users: 0 }] = await sql<
        { users: number }[]
      >`SELECT count(*)::int AS users FROM users`;
      if (existing) throw new Error(`the database already has ${existing} users: seed an empty, migrated database`);
      // The first user through the program's own registration: its Argon2id hash is reused for all.
      first = await createUser(app, { username: "user1", email: "user1@example.org", password: SEED_PASSWORD });
    } finally {
      await app.close();
    }
    if (first === undefined) throw new Error("user1 could not be created");
    const [hash] = await sql<{ pw_hash: string }[]>`SELECT pw_hash FROM users WHERE id = ${first}`;
    await sql.unsafe(`
      INSERT INTO users (username, name_key, email, pw_hash, created_at)
      SELECT 'user' || i, 'user' || i, 'user' || i || '@example.org', ${literal(hash?.pw_hash ?? "")},
             now() - interval '400 days' + i * (interval '35 days' / ${n})
      FROM generate_series(2, ${n}) i ORDER BY i;
      UPDATE users SET created_at = now() - interval '400 days' WHERE id = ${first};
    `);
    // User i has id base + i - 1 (one statement, one sequence): checked, since everything below relies on it.
    const [span] = await sql<{ ok: boolean }[]>`
      SELECT max(id) - min(id) + 1 = count(*) AND min(id) = ${first} AS ok FROM users`;
    if (!span?.ok) throw new Error("seeded user ids are not contiguous");
    progress.update(n);
    step("weights");

    // Per user: follows made (Zipf by age: early users follow hundreds or thousands), followers
    // (log-normal) and messages written (log-normal, correlated with followers). Stochastic rounding
    // keeps the message total at the requested size on average; 25 % more follow slots make up for
    // the duplicate pairs removed below, and a random sample of the rest is kept.
    await sql.unsafe(`
      CREATE TEMPORARY TABLE seed_weights AS
      SELECT id, power(id - ${first} + 1, -0.5) AS w_out,
             exp(${FOLLOWERS_SIGMA} * z1) AS w_in,
             exp(${MESSAGES_SIGMA} * (0.6 * z1 + 0.8 * z2)) AS w_msg
      FROM (
        SELECT id,
               sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z1,
               sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z2
        FROM users
      ) s;
      CREATE TEMPORARY TABLE seed_counts AS
      SELECT id,
             least(floor(w_out * ${f * 1.25} / sum(w_out) OVER () + random()), ${n - 1})::int AS n_out,
             least(floor(w_in * ${f * 1.25} / sum(w_in) OVER () + random()), ${n - 1})::int AS n_in,
             floor(w_msg * ${m} / sum(w_msg) OVER () + random())::int AS n_msg
      FROM seed_weights;
    `);

    // Follows: each user's follow slots paired with shuffled follower slots of the authors
    // (the configuration model); self-follows and duplicate pairs dropped.
    step("follows", f);
    const restoreFollows = await dropKeys(sql, "follows");
    await sql.unsafe(`
      INSERT INTO follows (who_id, whom_id)
      SELECT who, whom FROM (
        SELECT DISTINCT o.who, a.whom
        FROM (SELECT c.id AS who, row_number() OVER () AS k FROM seed_counts c, generate_series(1, c.n_out)) o
        JOIN (SELECT c.id AS whom, row_number() OVER (ORDER BY random()) AS k FROM seed_counts c, generate_series(1, c.n_in)) a
          USING (k)
        WHERE o.who <> a.whom
      ) pairs
      ORDER BY random()
      LIMIT ${f};
    `);
    step("follows keys and indexes");
    for (const text of restoreFollows) await sql.unsafe(text);

    // Messages over the last year, inserted in time order (as they would have been written).
    step("messages", m);
    const restoreMessages = await dropKeys(sql, "messages");
    await sql.unsafe(`
      INSERT INTO messages (author_id, text, pub_date, flagged)
      SELECT author_id,
             btrim(substr(${literal(LOREM)}, 1 + floor(random() * 400)::int, 20 + floor(random() * 120)::int)),
             pub_date, random() < ${FLAGGED_SHARE}
      FROM (
        SELECT c.id AS author_id, now() - random() * interval '365 days' AS pub_date
        FROM seed_counts c, generate_series(1, c.n_msg)
        ORDER BY pub_date
      ) s;
    `);
    step("messages keys and indexes");
    for (const text of restoreMessages) await sql.unsafe(text);
    // As autovacuum would have done on a live system: statistics and the visibility map.
    step("vacuum analyze");
    for (const table of ["users", "follows", "messages"]) await sql.unsafe(`VACUUM (ANALYZE) ${table}`);
    step("statistics");

    const heavy = Math.max(1, Math.round(n / 100));
    const [stats] = await sql<
      {
        users: number;
        follows: number;
        messages: number;
        flagged: number;
        top: number[];
        median: number;
        heavy_min: number;
      }[]
    >`
      WITH followers AS (SELECT u.id, count(f.who_id)::int AS n FROM users u LEFT JOIN follows f ON f.whom_id = u.id GROUP BY u.id)
      SELECT (SELECT count(*)::int FROM users) AS users,
             (SELECT count(*)::int FROM follows) AS follows,
             (SELECT count(*)::int FROM messages) AS messages,
             (SELECT count(*)::int FROM messages WHERE flagged) AS flagged,
             (SELECT array_agg(n) FROM (SELECT n FROM followers ORDER BY n DESC LIMIT 5) t) AS top,
             (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY n) FROM followers) AS median,
             (SELECT min(n)::int FROM (SELECT count(*) AS n FROM follows
                WHERE who_id BETWEEN ${first} AND ${first + heavy - 1} GROUP BY who_id) t) AS heavy_min`;
    if (!stats) throw new Error("no statistics");
    await sql.unsafe(`
      CREATE TABLE IF NOT EXISTS bench_seed (
        id boolean PRIMARY KEY DEFAULT true CHECK (id), first_user integer NOT NULL, users integer NOT NULL,
        heavy integer NOT NULL, max_user_id integer NOT NULL, max_message_id integer NOT NULL, password text NOT NULL
      );
      INSERT INTO bench_seed (first_user, users, heavy, max_user_id, max_message_id, password)
      SELECT ${first}, ${n}, ${heavy}, (SELECT max(id) FROM users), coalesce((SELECT max(id) FROM messages), 0),
             ${literal(SEED_PASSWORD)}
      ON CONFLICT (id) DO UPDATE SET first_user = excluded.first_user, users = excluded.users, heavy = excluded.heavy,
        max_user_id = excluded.max_user_id, max_message_id = excluded.max_message_id, password = excluded.password;
    `);
    progress.end();
    return {
      users: stats.users,
      follows: stats.follows,
      messages: stats.messages,
      flagged: stats.flagged,
      topFollowers: stats.top,
      medianFollowers: stats.median,
      heavy,
      heavyFollowsMin: stats.heavy_min,
      seconds: (performance.now() - started) / 1000,
    };
  } catch (error) {
    progress.fail();
    throw error;
  } finally {
    await sql.end();
  }
}

function count(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw.replaceAll("_", "").replaceAll(",", ""));
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a whole number, not "${raw}"`);
  return value;
}

const USAGE = `usage: npm run seed -- [--users N] [--follows N] [--messages N] [--database URL]
  --users N       users to create (default 120,000)
  --follows N     follow relations, skewed towards a few popular users (default 3,500,000)
  --messages N    messages over the last year, some flagged (default 5,000,000)
  --database URL  PostgreSQL database to fill (default DATABASE_URL); it is migrated first
  --json          only the JSON report on stdout: no progress or summary on stderr
Progress goes to stderr: one line redrawn on a terminal, a line per step otherwise.
Every seeded user signs in with the password ${SEED_PASSWORD}.`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      users: { type: "string" },
      follows: { type: "string" },
      messages: { type: "string" },
      database: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const url = values.database ?? process.env.DATABASE_URL;
  if (!url) throw new Error("no database: give --database URL or set DATABASE_URL");
  const sizes = {
    users: count(values.users, "users", 120_000),
    follows: count(values.follows, "follows", 3_500_000),
    messages: count(values.messages, "messages", 5_000_000),
  };
  const report = await seed(url, sizes, createProgress({ name: "seed", quiet: values.json }));
  console.log(JSON.stringify(report));
  if (values.json) return 0;
  console.error(
    `seeded ${report.users} users, ${report.follows} follows, ${report.messages} messages (${report.flagged} flagged) ` +
      `in ${report.seconds.toFixed(0)} s; most followed: ${report.topFollowers.join(", ")}; median followers ` +
      `${report.medianFollowers}; password of every user: ${SEED_PASSWORD}`,
  );
  return 0;
}

if (import.meta.main) await runCommand(main, USAGE);
