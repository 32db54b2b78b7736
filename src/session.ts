// Signed-cookie sessions (HMAC-SHA256 with SECRET_KEY): any replica reads them. A signed-in cookie names a
// session row (src/data/sessions.ts) that signing out deletes, so a copy of the cookie dies with it.
import { timingSafeEqual } from "node:crypto";

export const COOKIE_NAME = "minitwit_session";

export interface SessionData {
  /** Signed-in user's id and name, and the id of the session's row in the database. */
  uid?: number;
  name?: string;
  sid?: string;
  /** Flash messages waiting for the next rendered page. */
  flashes?: string[];
  /** Expiry, seconds since the epoch. */
  exp: number;
}

function mac(body: string, key: string): string {
  return new Bun.CryptoHasher("sha256", key).update(body).digest("base64url");
}

export function signSession(data: SessionData, key: string): string {
  const body = Buffer.from(JSON.stringify(data)).toString("base64url");
  return `${body}.${mac(body, key)}`;
}

/** The session in a cookie value, or undefined when it is malformed, tampered with or expired. */
export function verifySession(value: string | undefined, key: string, now = Date.now()): SessionData | undefined {
  if (!value || value.length > 4096) return undefined;
  const dot = value.indexOf(".");
  if (dot < 1) return undefined;
  const body = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1), "base64url");
  const expected = Buffer.from(mac(body, key), "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const data = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as SessionData;
    if (typeof data.exp !== "number" || data.exp * 1000 <= now) return undefined;
    return data;
  } catch {
    return undefined;
  }
}

export function readCookie(header: string | null | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export interface SessionOptions {
  key: string;
  maxAge: number;
  secure: boolean;
}

/** One request's session: read from the cookie, changed by handlers, written back if changed. */
export class Session {
  private data: SessionData;
  private changed = false;

  constructor(
    cookieHeader: string | null | undefined,
    private readonly options: SessionOptions,
  ) {
    this.data = verifySession(readCookie(cookieHeader, COOKIE_NAME), options.key) ?? { exp: 0 };
    // Signed in without a session id: a cookie from before sessions were revocable. Sign in again.
    if (this.data.uid !== undefined && typeof this.data.sid !== "string") this.logout();
  }

  get user(): { id: number; username: string } | undefined {
    const { uid, name } = this.data;
    return uid !== undefined && name !== undefined ? { id: uid, username: name } : undefined;
  }

  /** The signed-in session's id and user, to be checked against the database; undefined when anonymous. */
  get claim(): { sid: string; uid: number } | undefined {
    const { sid, uid } = this.data;
    return sid !== undefined && uid !== undefined ? { sid, uid } : undefined;
  }

  login(user: { id: number; username: string }, sid: string): void {
    this.data = { uid: user.id, name: user.username, sid, flashes: this.data.flashes, exp: 0 };
    this.changed = true;
  }

  /** Signs out (or drops a session the database no longer knows); the flashes stay. */
  logout(): void {
    this.data = { flashes: this.data.flashes, exp: 0 };
    this.changed = true;
  }

  flash(message: string): void {
    this.data.flashes = [...(this.data.flashes ?? []), message];
    this.changed = true;
  }

  /** The pending flashes, removed from the session: they are shown once. */
  takeFlashes(): string[] {
    const flashes = this.data.flashes ?? [];
    if (flashes.length > 0) {
      this.data.flashes = undefined;
      this.changed = true;
    }
    return flashes;
  }

  /** The Set-Cookie header to send, or undefined when nothing changed. */
  cookie(): string | undefined {
    if (!this.changed) return undefined;
    const secure = this.options.secure ? "; Secure" : "";
    const attributes = `Path=/; HttpOnly; SameSite=Lax${secure}`;
    if (this.data.uid === undefined && !this.data.flashes?.length) {
      return `${COOKIE_NAME}=; ${attributes}; Max-Age=0`;
    }
    const exp = Math.floor(Date.now() / 1000) + this.options.maxAge;
    const value = signSession({ ...this.data, exp }, this.options.key);
    return `${COOKIE_NAME}=${value}; ${attributes}; Max-Age=${this.options.maxAge}`;
  }
}
