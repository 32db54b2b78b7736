// The three timelines and posting a message.
import { Elysia } from "elysia";
import { MessageList, Timeline } from "../../views/timeline.tsx";
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
import { coalesce, publicIds, RenderCache, userPage } from "../data/timeline-cache.ts";
import { field, notFound, unauthorized } from "../errors.ts";

/** One page of a timeline: fetches one row more than it shows, to know whether older ones exist. */
async function page(load: (limit: number) => Promise<Message[]>): Promise<{ messages: Message[]; older?: number }> {
  const rows = await load(PAGE_SIZE + 1);
  if (rows.length <= PAGE_SIZE) return { messages: rows };
  const messages = rows.slice(0, PAGE_SIZE);
  return { messages, older: messages[PAGE_SIZE - 1]?.id };
}

/** A first page's messages rendered once, and the whole page as a signed-out visitor without flashes sees it. */
interface Rendered {
  list: string;
  anonymous?: string;
}

// Rendered first pages of /public and of users' timelines; a page is about 11 KB at most.
const CACHE_BUDGET = 16 * 1024 * 1024;

export function timelineRoutes({ config, db }: Deps) {
  const avatars = config.avatars;
  const rendered = new RenderCache<Rendered>(CACHE_BUDGET, (r) => r.list.length + (r.anonymous?.length ?? 0));
  // One ids query at a time for /public, shared by the requests that arrived while the one before ran.
  const latestPublic = coalesce(() => publicIds(db, PAGE_SIZE + 1));

  /** The page's messages, rendered again only when the ids of the messages it shows changed. */
  async function list(key: string, ids: string, load: (limit: number) => Promise<Message[]>): Promise<Rendered> {
    const cached = rendered.get(key, ids);
    if (cached !== undefined) return cached;
    // Read after the ids: at least as new as they are. Stored under them, so any change since shows
    // as different ids on the next request.
    return rendered.set(key, ids, { list: MessageList({ ...(await page(load)), avatars }) });
  }

  /** The page for a signed-out visitor without flashes is the same bytes every time: kept whole. */
  function whole(entry: Rendered, render: () => string, user: unknown, flashes: string[]): string {
    if (user !== undefined || flashes.length > 0) return render();
    entry.anonymous ??= render();
    return entry.anonymous;
  }

  return new Elysia({ name: "web-timeline" })
    .use(sessionPlugin(config, db))
    .get("/", async ({ request, query, session }) => {
      const user = session.user;
      if (!user) return redirectTo(request, "/public");
      const before = parseCursor(query.before);
      const messages = await page((n) => homeTimeline(db, user.id, n, before));
      return Timeline({
        view: { kind: "home" },
        list: MessageList({ ...messages, avatars }),
        user,
        flashes: session.takeFlashes(),
      });
    })
    .get("/public", async ({ query, session }) => {
      const before = parseCursor(query.before);
      const user = session.user;
      const flashes = session.takeFlashes();
      const view = { kind: "public" } as const;
      if (before !== undefined) {
        const messages = await page((n) => publicTimeline(db, n, before));
        return Timeline({ view, list: MessageList({ ...messages, avatars }), user, flashes });
      }
      const entry = await list("public", await latestPublic(), (n) => publicTimeline(db, n));
      return whole(entry, () => Timeline({ view, list: entry.list, user, flashes }), user, flashes);
    })
    .get("/:username", async ({ params, query, session }) => {
      const before = parseCursor(query.before);
      const found = await userPage(db, params.username, PAGE_SIZE + 1);
      if (!found) throw notFound("No such user");
      const profile = found.user;
      const user = session.user;
      let following: boolean | "self" | undefined;
      if (user) following = user.id === profile.id ? "self" : await isFollowing(db, user.id, profile.id);
      const flashes = session.takeFlashes();
      const view = { kind: "user", profile, following } as const;
      if (before !== undefined) {
        const messages = await page((n) => userTimeline(db, profile.id, n, before));
        return Timeline({ view, list: MessageList({ ...messages, avatars }), user, flashes });
      }
      const entry = await list(`user:${profile.id}`, found.ids, (n) => userTimeline(db, profile.id, n));
      return whole(entry, () => Timeline({ view, list: entry.list, user, flashes }), user, flashes);
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
