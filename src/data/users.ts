// Users: lookup, registration (uniqueness decided by the database) and password checks.
import { isUniqueViolation, type Queryable } from "../db.ts";

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
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f/]/.test(username) || username !== username.trim()) {
    return "The username may not contain control characters, slashes or surrounding spaces";
  }
  if (RESERVED_NAMES.has(username.toLowerCase())) return "This username is reserved";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters make no address
  if (!email?.includes("@") || /[\u0000-\u001f\u007f]/.test(email)) return "You have to enter a valid email address";
  if (email.length > LIMITS.email) return `The email address must be at most ${LIMITS.email} characters`;
  if (!r.password) return "You have to enter a password";
  if (r.password.length > LIMITS.password) return `The password must be at most ${LIMITS.password} characters`;
  if (password2 !== undefined && r.password !== password2) return "The two passwords do not match";
  return undefined;
}

export const USERNAME_TAKEN = "The username is already taken";

/** Stores a new user; returns its id, or undefined when the name is taken. */
export async function createUser(db: Queryable, r: Registration): Promise<number | undefined> {
  const hash = await Bun.password.hash(r.password, HASH);
  try {
    const [row] = await db.query<{ id: number }>("users/insert", [r.username, r.email, hash]);
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

export async function checkLogin(db: Queryable, username: string, password: string): Promise<LoginResult> {
  const [row] = await db.query<User & { pw_hash: string }>("users/credentials", [username]);
  if (!row) return { error: "Invalid username" };
  if (!password || !(await Bun.password.verify(password, row.pw_hash))) return { error: "Invalid password" };
  return { user: { id: row.id, username: row.username, email: "" } };
}
