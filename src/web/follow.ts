// Follow and unfollow: POST forms for the page's controls, GET kept for the original's links.
import { Elysia } from "elysia";
import { userPath } from "../../views/timeline.tsx";
import { type Deps, redirectTo, sessionPlugin } from "../context.ts";
import { follow, unfollow } from "../data/follows.ts";
import { userByName } from "../data/users.ts";
import { notFound, unauthorized } from "../errors.ts";
import type { Session } from "../session.ts";

export function followRoutes({ config, db }: Deps) {
  type Ctx = { request: Request; params: { username: string }; session: Session };

  async function act({ request, params, session }: Ctx, action: "follow" | "unfollow"): Promise<Response> {
    const user = session.user;
    if (!user) throw unauthorized();
    const whom = await userByName(db, params.username);
    if (!whom) throw notFound("No such user");
    if (action === "follow") {
      await follow(db, user.id, whom.id);
      session.flash(`You are now following "${whom.username}"`);
    } else {
      await unfollow(db, user.id, whom.id);
      session.flash(`You are no longer following "${whom.username}"`);
    }
    return redirectTo(request, userPath(whom.username));
  }

  return new Elysia({ name: "web-follow" })
    .use(sessionPlugin(config, db))
    .get("/:username/follow", (ctx) => act(ctx, "follow"))
    .post("/:username/follow", (ctx) => act(ctx, "follow"))
    .get("/:username/unfollow", (ctx) => act(ctx, "unfollow"))
    .post("/:username/unfollow", (ctx) => act(ctx, "unfollow"));
}
