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
import { coalesce, idsText, publicIds, RenderCache, userPage } from "../data/timeline-cache.ts";
import { type User, userByName } from "../data/users.ts";
import { field, notFound, unauthorized } from "../errors.ts";

/** One page of a timeline from its rows: one row more than it shows, to know whether older ones exist. */
function page(rows: Message[]): { messages: Message[]; older?: number } {
  if (rows.length <= PAGE_SIZE) return { messages: rows };
  const messages = rows.slice(0, PAGE_SIZE);
  return { messages, older: messages[PAGE_SIZE - 1]?.id };
}

/** A first page's messages rendered once, and the whole page as a signed-out visitor without flashes sees it. */
interface Rendered {
  list: string;
  anonymous?: string;
}

// Rendered first pages of /public and of users' timelines, about 1 MB. Measured under random profiles at
// course scale: resident memory grew about 30 MB per MB kept here (pages dropped when the budget is full
// linger until the collector runs), 505 MB at 16 MB against 138 MB keeping none and 159 MB at 1 MB.
const CACHE_BUDGET = 1024 * 1024;
const PAGE_FRAME = 1024;

export function timelineRoutes({ config, db, metrics }: Deps) {
  const avatars = config.avatars;
  // Counted when kept, before the whole page for signed-out visitors may be added: that page is the
  // messages again plus the frame (about 1 KB), so it is counted then already.
  const rendered = new RenderCache<Rendered>(CACHE_BUDGET, (r) => 2 * r.list.length + PAGE_FRAME);
  // One ids query at a time for /public, shared by the requests that arrived while the one before ran.
  const latestPublic = coalesce(() => publicIds(db, PAGE_SIZE + 1));

  /**
   * A first page's messages, rendered again only when the ids of the messages it shows changed. The ids
   * are read only when something is kept for the page; otherwise, and when they changed, the rows are
   * read and rendered, and kept (when wanted) under their own ids: one statement's rows, so their ids
   * say exactly what they show.
   */
  async function firstPage(
    key: string,
    currentIds: () => Promise<string>,
    load: (limit: number) => Promise<Message[]>,
  ): Promise<Rendered> {
    if (rendered.has(key)) {
      const cached = rendered.get(key, await currentIds());
      metrics?.timelineCache("web", cached !== undefined);
      if (cached !== undefined) return cached;
    } else {
      metrics?.timelineCache("web", false);
    }
    const rows = await load(PAGE_SIZE + 1);
    const value = { list: MessageList({ ...page(rows), avatars }) };
    return rendered.wanted(key) ? rendered.set(key, idsText(rows), value) : value;
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
      const messages = page(await homeTimeline(db, user.id, PAGE_SIZE + 1, before));
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
        const messages = page(await publicTimeline(db, PAGE_SIZE + 1, before));
        return Timeline({ view, list: MessageList({ ...messages, avatars }), user, flashes });
      }
      const entry = await firstPage("public", latestPublic, (n) => publicTimeline(db, n));
      return whole(entry, () => Timeline({ view, list: entry.list, user, flashes }), user, flashes);
    })
    .get("/:username", async ({ params, query, session }) => {
      const before = parseCursor(query.before);
      // Usernames never change: the page's key. With something cached, one query reads the user and the
      // ids together.
      const key = `user:${params.username}`;
      let ids: string | undefined;
      let profile: User | undefined;
      if (before === undefined && rendered.has(key)) {
        const found = await userPage(db, params.username, PAGE_SIZE + 1);
        profile = found?.user;
        ids = found?.ids;
      } else {
        profile = await userByName(db, params.username);
      }
      if (!profile) throw notFound("No such user");
      const author = profile.id;
      const user = session.user;
      let following: boolean | "self" | undefined;
      if (user) following = user.id === author ? "self" : await isFollowing(db, user.id, author);
      const flashes = session.takeFlashes();
      const view = { kind: "user", profile, following } as const;
      if (before !== undefined) {
        const messages = page(await userTimeline(db, author, PAGE_SIZE + 1, before));
        return Timeline({ view, list: MessageList({ ...messages, avatars }), user, flashes });
      }
      const entry = await firstPage(
        key,
        async () => ids ?? "",
        (n) => userTimeline(db, author, n),
      );
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
