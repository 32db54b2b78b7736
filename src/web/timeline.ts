// The three timelines and posting a message.
import { Elysia } from "elysia";
import { MessageList, Timeline, type TimelineKind } from "../../views/timeline.tsx";
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
import { batch, coalesce, coalesceBy } from "../data/shared-reads.ts";
import { idsText, publicIds, RenderCache, userPages } from "../data/timeline-cache.ts";
import { type User, userByName } from "../data/users.ts";
import { field, notFound, unauthorized } from "../errors.ts";

/** One page of a timeline from its rows: one row more than it shows, to know whether older ones exist. */
function page(rows: Message[]): { messages: Message[]; older?: number } {
  if (rows.length <= PAGE_SIZE) return { messages: rows };
  const messages = rows.slice(0, PAGE_SIZE);
  return { messages, older: messages[PAGE_SIZE - 1]?.id };
}

/**
 * A first page rendered once: the whole page as a signed-out visitor without flashes sees it, as
 * gzip-compressed UTF-8, and where its message list lies in the uncompressed bytes (the part that
 * signed-in visitors' pages share). Compressed, a profile page keeps in about a sixth of its size
 * (6.1 KB in 1.0 KB at course scale).
 */
interface Rendered {
  gzip: Uint8Array<ArrayBuffer>;
  listStart: number;
  listEnd: number;
  /** The uncompressed bytes, while the page is among those asked for last (`Uncompressed`). */
  plain?: Uint8Array<ArrayBuffer>;
}

/**
 * The uncompressed bytes of the busiest kept pages, within a budget: /public and popular profiles are
 * answered without decompressing them every time (6 µs and a new buffer per request, 15-20 % of
 * /public's throughput when measured). A page just rendered is held (it was asked for); one kept
 * earlier is let in on one decompression in `ADMIT`, so the pages asked for most get in first, and a
 * visitor going through random profiles does not churn the set.
 */
class Uncompressed {
  private readonly held = new Set<Rendered>();
  private total = 0;

  constructor(private readonly budget: number) {}

  of(entry: Rendered): Uint8Array<ArrayBuffer> {
    if (entry.plain !== undefined) {
      this.held.delete(entry);
      this.held.add(entry);
      return entry.plain;
    }
    const plain = Bun.gunzipSync(entry.gzip);
    return Math.random() < 1 / ADMIT ? this.hold(entry, plain) : plain;
  }

  hold(entry: Rendered, plain: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
    entry.plain = plain;
    this.held.add(entry);
    this.total += plain.byteLength;
    for (const oldest of this.held) {
      if (this.total <= this.budget) break;
      this.held.delete(oldest);
      this.total -= oldest.plain?.byteLength ?? 0;
      oldest.plain = undefined;
    }
    return plain;
  }
}

// Rendered first pages of /public and of users' timelines, compressed: about 6 MB holds the
// benchmark's 5,000 random profiles at course scale (docs/performance.md, section 11).
const CACHE_BUDGET = 8 * 1024 * 1024;
// What a kept page costs beside its bytes (the entry, its key and ids), counted in the budget.
const ENTRY_OVERHEAD = 256;
const UNCOMPRESSED_BUDGET = 1024 * 1024;
const ADMIT = 16;
// Where the message list goes in the page rendered to be kept: a comment no message can hold (texts
// and names are escaped, so `<` never reaches the page from them).
const LIST_MARK = "<!--minitwit:list-->";
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** Whether the request accepts a gzip-compressed body (`Accept-Encoding`, `q=0` meaning no). */
export function acceptsGzip(request: Request): boolean {
  const accept = request.headers.get("accept-encoding");
  if (accept === null) return false;
  for (const part of accept.split(",")) {
    const [coding = "", ...params] = part.split(";");
    const name = coding.trim().toLowerCase();
    if (name !== "gzip" && name !== "*") continue;
    const q = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

export function timelineRoutes({ config, db, metrics }: Deps) {
  const avatars = config.avatars;
  const rendered = new RenderCache<Rendered>(CACHE_BUDGET, (r) => r.gzip.byteLength + ENTRY_OVERHEAD);
  const uncompressed = new Uncompressed(UNCOMPRESSED_BUDGET);
  // One ids query at a time for /public, shared by the requests that arrived while the one before ran.
  const latestPublic = coalesce(() => publicIds(db, PAGE_SIZE + 1));
  // The same for users' pages: one statement at a time reads the user and the ids of every page asked
  // for meanwhile.
  const latestUserPage = batch((names: string[]) => userPages(db, names, PAGE_SIZE + 1));

  /** The page as a signed-out visitor sees it, kept compressed with where its list lies. */
  function keep(view: TimelineKind, list: string): Rendered {
    const [head = "", tail = ""] = Timeline({ view, list: LIST_MARK, user: undefined, flashes: [] }).split(LIST_MARK);
    const listStart = Buffer.byteLength(head);
    const plain = utf8.encode(head + list + tail);
    const entry = { gzip: Bun.gzipSync(plain), listStart, listEnd: listStart + Buffer.byteLength(list) };
    uncompressed.hold(entry, plain);
    return entry;
  }

  /**
   * A first page's messages read and rendered, and kept (when wanted) under their own ids: one
   * statement's rows, so their ids say exactly what they show. The requests that find a page changed
   * at the same time share one run started after they asked (after a write, every reader of /public
   * finds it so at once): one read and one render instead of one each.
   */
  const renderPage = coalesceBy(
    async (key: string, how: { anonymous: TimelineKind; load: (limit: number) => Promise<Message[]> }) => {
      const rows = await how.load(PAGE_SIZE + 1);
      const list = MessageList({ ...page(rows), avatars });
      return rendered.wanted(key) ? rendered.set(key, idsText(rows), keep(how.anonymous, list)) : list;
    },
  );

  /**
   * A first page's messages, rendered again only when the ids of the messages it shows changed. The ids
   * are read only when something is kept for the page. `anonymous` is the page's view as a signed-out
   * visitor sees it.
   */
  async function firstPage(
    key: string,
    anonymous: TimelineKind,
    currentIds: () => Promise<string>,
    load: (limit: number) => Promise<Message[]>,
  ): Promise<Rendered | string> {
    if (rendered.has(key)) {
      const cached = rendered.get(key, await currentIds());
      metrics?.timelineCache("web", cached !== undefined);
      if (cached !== undefined) return cached;
    } else {
      metrics?.timelineCache("web", false);
    }
    return renderPage(key, { anonymous, load });
  }

  /**
   * The page for this visitor: a signed-out one without flashes gets the kept bytes (compressed when
   * the request accepts it), anyone else the kept list in a page rendered for them.
   */
  function answer(
    entry: Rendered | string,
    request: Request,
    set: { headers: Record<string, string | number> },
    render: (list: string) => string,
    user: unknown,
    flashes: string[],
  ): string | Uint8Array {
    if (typeof entry === "string") return render(entry);
    if (user !== undefined || flashes.length > 0) {
      return render(fromUtf8.decode(uncompressed.of(entry).subarray(entry.listStart, entry.listEnd)));
    }
    set.headers["content-type"] = "text/html; charset=utf-8";
    set.headers.vary = "Accept-Encoding";
    if (!acceptsGzip(request)) return uncompressed.of(entry);
    set.headers["content-encoding"] = "gzip";
    return entry.gzip;
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
    .get("/public", async ({ request, set, query, session }) => {
      const before = parseCursor(query.before);
      const user = session.user;
      const flashes = session.takeFlashes();
      const view = { kind: "public" } as const;
      if (before !== undefined) {
        const messages = page(await publicTimeline(db, PAGE_SIZE + 1, before));
        return Timeline({ view, list: MessageList({ ...messages, avatars }), user, flashes });
      }
      const entry = await firstPage("public", view, latestPublic, (n) => publicTimeline(db, n));
      return answer(entry, request, set, (list) => Timeline({ view, list, user, flashes }), user, flashes);
    })
    .get("/:username", async ({ request, set, params, query, session }) => {
      const before = parseCursor(query.before);
      // Usernames never change: the page's key. With something cached, one query reads the user and the
      // ids together.
      const key = `user:${params.username}`;
      let ids: string | undefined;
      let profile: User | undefined;
      if (before === undefined && rendered.has(key)) {
        const found = await latestUserPage(params.username);
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
        { kind: "user", profile, following: undefined },
        async () => ids ?? "",
        (n) => userTimeline(db, author, n),
      );
      return answer(entry, request, set, (list) => Timeline({ view, list, user, flashes }), user, flashes);
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
