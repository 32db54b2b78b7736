// Sign up, sign in (throttled per client address, counts in the database) and sign out.
import { Elysia } from "elysia";
import { LoginPage, RegisterPage } from "../../views/forms.tsx";
import { type Deps, redirectTo, sessionPlugin } from "../context.ts";
import { createSession, endSession } from "../data/sessions.ts";
import { loginThrottle } from "../data/throttle.ts";
import { checkLogin, createUser, registrationError, USERNAME_TAKEN } from "../data/users.ts";
import { field, HttpError } from "../errors.ts";
import { clientAddress } from "../security.ts";

export function authRoutes({ config, db }: Deps) {
  const throttle = loginThrottle(db);
  return new Elysia({ name: "web-auth" })
    .use(sessionPlugin(config, db))
    .get("/login", ({ request, session }) => {
      if (session.user) return redirectTo(request, "/");
      return LoginPage({ flashes: session.takeFlashes() });
    })
    .post("/login", async ({ request, server, body, session, set }) => {
      if (session.user) return redirectTo(request, "/");
      // The route, not the raw path, decides: every spelling Elysia matches to /login is counted.
      const address = clientAddress(request, server, config.trustedProxies);
      const wait = await throttle.retryAfter(address);
      if (wait > 0) {
        set.headers["retry-after"] = String(wait);
        throw new HttpError(429, `Too many failed sign-in attempts; try again in ${wait} seconds`);
      }
      const username = field(body, "username") ?? "";
      const result = await checkLogin(db, username, field(body, "password") ?? "");
      if ("error" in result) {
        await throttle.fail(address);
        return LoginPage({ error: result.error, username });
      }
      session.login(result.user, await createSession(db, result.user.id, config.sessionMaxAge));
      session.flash("You were logged in");
      return redirectTo(request, "/");
    })
    .get("/register", ({ request, session }) => {
      if (session.user) return redirectTo(request, "/");
      return RegisterPage({});
    })
    .post("/register", async ({ request, body, session }) => {
      if (session.user) return redirectTo(request, "/");
      const username = field(body, "username") ?? "";
      const email = field(body, "email") ?? "";
      const password = field(body, "password") ?? "";
      const error = registrationError({ username, email, password }, field(body, "password2") ?? "");
      const id = error ? undefined : await createUser(db, { username, email, password });
      if (error || id === undefined) return RegisterPage({ error: error ?? USERNAME_TAKEN, username, email });
      session.flash("You were successfully registered and can login now");
      return redirectTo(request, "/login");
    })
    .get("/logout", async ({ request, session }) => {
      // Deleted in the database: a copy of this cookie is signed out on every replica too.
      const claim = session.claim;
      if (claim) await endSession(db, claim.sid);
      session.logout();
      session.flash("You were logged out");
      return redirectTo(request, "/public");
    });
}
