// The three timelines and posting a message.
import { Elysia } from "elysia";
import { Timeline } from "../../views/timeline.tsx";
import { type Deps, redirectTo, sessionPlugin } from "../context.ts";
import { isFollowing } from "../data/follows.ts";
import {
  homeTimeline,
  type Message,
  messageError,
  PAGE_SIZE,
  parseCursor,
  postMessage,
  publicTimeline,
  userTimeline,
} from "../data/messages.ts";
import { userByName } from "../data/users.ts";
import { field, notFound, unauthorized } from "../errors.ts";

/** One page of a timeline: fetches one row more than it shows, to know whether older ones exist. */
async function page(load: (limit: number) => Promise<Message[]>): Promise<{ messages: Message[]; older?: number }> {
  const rows = await load(PAGE_SIZE + 1);
  if (rows.length <= PAGE_SIZE) return { messages: rows };
  const messages = rows.slice(0, PAGE_SIZE);
  return { messages, older: messages[PAGE_SIZE - 1]?.id };
}

export function timelineRoutes({ config, db }: Deps) {
  return new Elysia({ name: "web-timeline" })
    .use(sessionPlugin(config, db))
    .get("/", async ({ request, query, session }) => {
      const user = session.user;
      if (!user) return redirectTo(request, "/public");
      const before = parseCursor(query.before);
      const { messages, older } = await page((n) => homeTimeline(db, user.id, n, before));
      return Timeline({
        view: { kind: "home" },
        messages,
        older,
        user,
        flashes: session.takeFlashes(),
        avatars: config.avatars,
      });
    })
    .get("/public", async ({ query, session }) => {
      const before = parseCursor(query.before);
      const { messages, older } = await page((n) => publicTimeline(db, n, before));
      return Timeline({
        view: { kind: "public" },
        messages,
        older,
        user: session.user,
        flashes: session.takeFlashes(),
        avatars: config.avatars,
      });
    })
    .get("/:username", async ({ params, query, session }) => {
      const profile = await userByName(db, params.username);
      if (!profile) throw notFound("No such user");
      const user = session.user;
      let following: boolean | "self" | undefined;
      if (user) following = user.id === profile.id ? "self" : await isFollowing(db, user.id, profile.id);
      const before = parseCursor(query.before);
      const { messages, older } = await page((n) => userTimeline(db, profile.id, n, before));
      return Timeline({
        view: { kind: "user", profile, following },
        messages,
        older,
        user,
        flashes: session.takeFlashes(),
        avatars: config.avatars,
      });
    })
    .post("/add_message", async ({ request, body, session }) => {
      const user = session.user;
      if (!user) throw unauthorized();
      const text = field(body, "text");
      const error = messageError(text);
      if (error) {
        session.flash(`Your message was not recorded: ${error}`);
      } else {
        await postMessage(db, user.id, text as string);
        session.flash("Your message was recorded");
      }
      return redirectTo(request, "/");
    });
}
