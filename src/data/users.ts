// Users: lookup, registration (uniqueness decided by the database) and password checks.
import { isUniqueViolation, type Queryable } from "../db.ts";
import { nameCharacterProblem, nameKey } from "./names.ts";

export interface User {
  id: number;
  username: string;
  email: string;
}

/** Names that would collide with a fixed route of the web pages or the API. */
export const RESERVED_NAMES = new Set([
  "public",
  "login",
  "logout",
  "register",
  "add_message",
  "static",
  "health",
  "metrics",
  "latest",
  "msgs",
  "fllws",
  "docs",
  "openapi.json",
  "favicon.ico",
  "robots.txt",
]);

export const LIMITS = { username: 64, email: 254, password: 1024 } as const;

// Argon2id, 4 MiB and 2 passes: about 6 ms a hash here, so 32 registrations at once still answer
// within the simulator's 0.3 s on 2 cores; OWASP's 19 MiB setting took 1.2-1.9 s for 32 (docs/security.md).
// Hashes keep their parameters, so changing these later still verifies old passwords.
export const HASH = { algorithm: "argon2id", memoryCost: 4096, timeCost: 2 } as const;

export interface Registration {
  username: string;
  email: string;
  password: string;
}

/**
 * The first problem with a registration, in the original's order, or undefined.
 * The messages are MiniTwit's own, compared exactly by scripts.
 */
export function registrationError(r: Partial<Registration>, password2?: string): string | undefined {
  const username = r.username ?? "";
  const email = r.email ?? "";
  if (!username) return "You have to enter a username";
  if (username.length > LIMITS.username) return `The username must be at most ${LIMITS.username} characters`;
  const characters = nameCharacterProblem(username);
  if (characters) return characters;
  if (username.includes("/") || username !== username.trim()) {
    return "The username may not contain slashes or surrounding spaces";
  }
  if (RESERVED_NAMES.has(nameKey(username))) return "This username is reserved";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters make no address
  if (!email?.includes("@") || /[\u0000-\u001f\u007f]/.test(email)) return "You have to enter a valid email address";
  if (email.length > LIMITS.email) return `The email address must be at most ${LIMITS.email} characters`;
  if (!r.password) return "You have to enter a password";
  if (r.password.length > LIMITS.password) return `The password must be at most ${LIMITS.password} characters`;
  if (password2 !== undefined && r.password !== password2) return "The two passwords do not match";
  return undefined;
}

export const USERNAME_TAKEN = "The username is already taken";

/** Stores a new user; returns its id, or undefined when the name, or one that looks the same, is taken. */
export async function createUser(db: Queryable, r: Registration): Promise<number | undefined> {
  const hash = await Bun.password.hash(r.password, HASH);
  try {
    const [row] = await db.query<{ id: number }>("users/insert", [r.username, nameKey(r.username), r.email, hash]);
    return row?.id;
  } catch (error) {
    if (isUniqueViolation(error)) return undefined;
    throw error;
  }
}

export async function userByName(db: Queryable, username: string): Promise<User | undefined> {
  const [row] = await db.query<User>("users/by_name", [username]);
  return row;
}

export async function userById(db: Queryable, id: number): Promise<User | undefined> {
  const [row] = await db.query<User>("users/by_id", [id]);
  return row;
}

export type LoginResult = { user: User } | { error: "Invalid username" | "Invalid password" };

// Verified against when the name is unknown, so that an unknown name takes as long as a wrong password.
let dummyHash: Promise<string> | undefined;

/**
 * Checks a sign-in. Every attempt runs exactly one Argon2id verification, against the user's hash or a
 * dummy one of the same parameters: the answer's time does not tell whether the name exists.
 */
export async function checkLogin(db: Queryable, username: string, password: string): Promise<LoginResult> {
  const [row] = await db.query<User & { pw_hash: string }>("users/credentials", [username]);
  dummyHash ??= Bun.password.hash(crypto.randomUUID(), HASH);
  const ok = await Bun.password.verify(password, row?.pw_hash ?? (await dummyHash));
  if (!row) return { error: "Invalid username" };
  if (!password || !ok) return { error: "Invalid password" };
  return { user: { id: row.id, username: row.username, email: "" } };
}

/**
 * Gives every row without a key its key (rows inserted before migration 0005, or by an older version
 * during a rolling update), oldest first. A row whose key an older row holds keeps none: it still signs
 * in and is found by its exact name; `minitwit names` lists it. Returns how many were filled and left.
 */
export async function fillNameKeys(db: Queryable): Promise<{ filled: number; left: number }> {
  const rows = await db.query<{ id: number; username: string }>("users/without_key");
  if (rows.length === 0) return { filled: 0, left: 0 };
  const filled = await db.query("users/fill_name_keys", [rows.map((r) => r.id), rows.map((r) => nameKey(r.username))]);
  return { filled: filled.length, left: rows.length - filled.length };
}

export interface LookAlike {
  id: number;
  username: string;
  /** Whether this row holds the key (the oldest of its group, normally). */
  holdsKey: boolean;
  createdAt: Date;
}

/** Groups of two or more users whose names share a key (look the same), oldest first in each group. */
export async function lookAlikeNames(db: Queryable): Promise<LookAlike[][]> {
  const rows = await db.query<{ id: number; username: string; name_key: string | null; created_at: Date }>(
    "users/names",
  );
  const groups = new Map<string, LookAlike[]>();
  for (const r of rows) {
    const key = nameKey(r.username);
    const group = groups.get(key) ?? [];
    group.push({ id: r.id, username: r.username, holdsKey: r.name_key === key, createdAt: r.created_at });
    groups.set(key, group);
  }
  return [...groups.values()].filter((g) => g.length > 1);
}
