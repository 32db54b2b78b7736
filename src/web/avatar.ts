// Avatars drawn by the program: a symmetric 5×5 identicon (SVG) per user name, served for a year.
import { Elysia } from "elysia";
import { notFound } from "../errors.ts";

/** Where the avatars are served; under /static, a name no user can take. */
export const AVATAR_PREFIX = "/static/avatars/";
/** A year: an avatar's address names its content, which never changes. */
export const AVATAR_CACHE = "public, max-age=31536000, immutable";

// MD5 by name, as for Gravatar: a page shows 30 messages, mostly by authors shown before. Bounded.
const keys = new Map<string, string>();

/** The avatar's key: the MD5 of the user name (public already, unlike the email address). */
export function avatarKey(username: string): string {
  let key = keys.get(username);
  if (key === undefined) {
    key = new Bun.CryptoHasher("md5").update(username).digest("hex");
    if (keys.size >= 10_000) keys.clear();
    keys.set(username, key);
  }
  return key;
}

export function avatarPath(username: string): string {
  return `${AVATAR_PREFIX}${avatarKey(username)}.svg`;
}

/**
 * The identicon of a 32-digit hex key: a colour from its first bytes, and 15 cells (the left three
 * columns, mirrored to the right) set by the bits of the next ones. The same key always draws the same picture.
 */
export function identicon(key: string): string {
  const bytes = Buffer.from(key, "hex");
  const hue = (((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0)) % 360;
  const saturation = 45 + ((bytes[2] ?? 0) % 20);
  const lightness = 32 + ((bytes[3] ?? 0) % 14);
  let path = "";
  for (let row = 0; row < 5; row++) {
    for (let col = 0; col < 3; col++) {
      const bit = row * 3 + col;
      if ((((bytes[4 + (bit >> 3)] ?? 0) >> (bit & 7)) & 1) === 0) continue;
      path += `M${col} ${row}h1v1h-1z`;
      if (col < 2) path += `M${4 - col} ${row}h1v1h-1z`;
    }
  }
  if (path === "") path = "M2 2h1v1h-1z";
  return (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="-0.5 -0.5 6 6" width="48" height="48" shape-rendering="crispEdges">' +
    `<rect x="-0.5" y="-0.5" width="6" height="6" fill="hsl(${hue} 30% 94%)"/>` +
    `<path fill="hsl(${hue} ${saturation}% ${lightness}%)" d="${path}"/></svg>`
  );
}

const FILE = /^([0-9a-f]{32})\.svg$/;

/** GET /static/avatars/<key>.svg: the identicon of that key; nothing is looked up. */
export function avatarRoutes() {
  return new Elysia({ name: "web-avatar" }).get(`${AVATAR_PREFIX}:file`, ({ params, set }) => {
    const match = FILE.exec(params.file);
    if (!match) throw notFound("No such avatar");
    set.headers["content-type"] = "image/svg+xml";
    set.headers["cache-control"] = AVATAR_CACHE;
    return identicon(match[1] as string);
  });
}
