import { describe, expect, test } from "bun:test";
import { COOKIE_NAME, readCookie, Session, signSession, verifySession } from "../src/session.ts";

const KEY = "test key of some length";
const hour = () => Math.floor(Date.now() / 1000) + 3600;

function cookieValue(setCookie: string): string {
  return (setCookie.split(";")[0] ?? "").slice(COOKIE_NAME.length + 1);
}

describe("[session] signing", () => {
  test("[session] a signed session verifies and keeps its data", () => {
    const value = signSession({ uid: 7, name: "ann", flashes: ["hi"], exp: hour() }, KEY);
    expect(verifySession(value, KEY)).toMatchObject({ uid: 7, name: "ann", flashes: ["hi"] });
  });

  test("[session] a changed body, a changed signature or another key is not signed in", () => {
    const value = signSession({ uid: 7, name: "ann", exp: hour() }, KEY);
    const [body = "", mac = ""] = value.split(".");
    const forged = Buffer.from(JSON.stringify({ uid: 1, name: "admin", exp: hour() })).toString("base64url");
    expect(verifySession(`${forged}.${mac}`, KEY)).toBeUndefined();
    const flipped = mac.slice(0, -2) + (mac.endsWith("AA") ? "AB" : "AA");
    expect(verifySession(`${body}.${flipped}`, KEY)).toBeUndefined();
    expect(verifySession(`${body}.${mac.slice(1)}`, KEY)).toBeUndefined();
    expect(verifySession(`${body}.`, KEY)).toBeUndefined();
    expect(verifySession(value, "another key entirely")).toBeUndefined();
  });

  test("[session] an expired session is not signed in", () => {
    const value = signSession({ uid: 7, name: "ann", exp: Math.floor(Date.now() / 1000) - 1 }, KEY);
    expect(verifySession(value, KEY)).toBeUndefined();
    const fresh = signSession({ uid: 7, name: "ann", exp: 2_000_000_000 }, KEY);
    expect(verifySession(fresh, KEY, 2_000_000_000 * 1000)).toBeUndefined();
    expect(verifySession(fresh, KEY, 1_999_999_999 * 1000)).toMatchObject({ uid: 7 });
  });

  test("[session] malformed values are not signed in", () => {
    for (const value of ["", ".", "abc", ".abc", "a.b.c", "%%%.%%%", "x".repeat(5000), undefined]) {
      expect(verifySession(value, KEY)).toBeUndefined();
    }
    // Signed, but not JSON, or JSON without an expiry.
    const notJson = Buffer.from("not json").toString("base64url");
    const noExp = Buffer.from(JSON.stringify({ uid: 1 })).toString("base64url");
    for (const body of [notJson, noExp]) {
      const signed = new Bun.CryptoHasher("sha256", KEY).update(body).digest("base64url");
      expect(verifySession(`${body}.${signed}`, KEY)).toBeUndefined();
    }
  });

  test("[session] the cookie is read by exact name among others", () => {
    expect(readCookie(`a=1; ${COOKIE_NAME}=v.w; b=2`, COOKIE_NAME)).toBe("v.w");
    expect(readCookie(`x${COOKIE_NAME}=nope`, COOKIE_NAME)).toBeUndefined();
    expect(readCookie(null, COOKIE_NAME)).toBeUndefined();
  });
});

describe("[session] cookie attributes", () => {
  const options = { key: KEY, maxAge: 3600, secure: false };

  test("[session] signing in sets an HttpOnly, SameSite=Lax cookie with a bounded lifetime", () => {
    const session = new Session(null, options);
    session.login({ id: 3, username: "bo" }, "sid-1");
    const cookie = session.cookie() ?? "";
    expect(cookie).toStartWith(`${COOKIE_NAME}=`);
    expect(cookie).toContain("; HttpOnly");
    expect(cookie).toContain("; SameSite=Lax");
    expect(cookie).toContain("; Path=/");
    expect(cookie).toContain("; Max-Age=3600");
    expect(cookie).not.toContain("Secure");
    const data = verifySession(cookieValue(cookie), KEY);
    expect(data?.uid).toBe(3);
    expect(data?.exp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 3600);
    expect(new Session(`${COOKIE_NAME}=${cookieValue(cookie)}`, options).user).toEqual({ id: 3, username: "bo" });
  });

  test("[session] over HTTPS the cookie is Secure", () => {
    const session = new Session(null, { ...options, secure: true });
    session.login({ id: 3, username: "bo" }, "sid-1");
    expect(session.cookie()).toContain("; Secure");
  });

  test("[session] signing out clears the cookie; an unchanged session sets none", () => {
    const signedIn = new Session(null, options);
    signedIn.login({ id: 3, username: "bo" }, "sid-1");
    const session = new Session(`${COOKIE_NAME}=${cookieValue(signedIn.cookie() ?? "")}`, options);
    expect(session.cookie()).toBeUndefined();
    session.logout();
    expect(session.cookie()).toContain("Max-Age=0");
    expect(session.user).toBeUndefined();
  });

  test("[session] a tampered cookie is an anonymous session", () => {
    const signedIn = new Session(null, options);
    signedIn.login({ id: 3, username: "bo" }, "sid-1");
    const value = cookieValue(signedIn.cookie() ?? "");
    const tampered = `${value.slice(0, 5)}${value[5] === "A" ? "B" : "A"}${value.slice(6)}`;
    expect(new Session(`${COOKIE_NAME}=${tampered}`, options).user).toBeUndefined();
  });
});
