// The three timelines: public, a user's, and the signed-in home timeline with the twit box.
import type { Message } from "../src/data/messages.ts";
import { avatarPath } from "../src/web/avatar.ts";
import { escapeHtml } from "./escape.ts";
import { Layout, type PageUser } from "./layout.tsx";

// Hashes by address: a page shows 30 messages, mostly by authors shown before; an MD5 per message
// was 6 % of the server's time under load (docs/performance.md). Bounded: emptied when full.
const gravatarHashes = new Map<string, string>();

export function gravatarUrl(email: string, size = 48): string {
  let hash = gravatarHashes.get(email);
  if (hash === undefined) {
    hash = new Bun.CryptoHasher("md5").update(email.trim().toLowerCase()).digest("hex");
    if (gravatarHashes.size >= 10_000) gravatarHashes.clear();
    gravatarHashes.set(email, hash);
  }
  return `https://www.gravatar.com/avatar/${hash}?d=identicon&s=${size}`;
}

/** `YYYY-MM-DD @ HH:MM` in UTC, as the original shows dates. */
export function formatDate(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 10)} @ ${iso.slice(11, 16)}`;
}

export function userPath(username: string): string {
  return `/${encodeURIComponent(username)}`;
}

/** Where avatars come from (config AVATARS): drawn by the program, or Gravatar. */
export type AvatarSource = "local" | "gravatar";

/**
 * The author's avatar, decorative beside the author's name (empty alt). With Gravatar, the local one
 * lies beneath it: when Gravatar does not load, its image (empty alt, no size given: Chromium would
 * draw a broken-image icon in a sized box) takes no room and the local one shows, without JavaScript.
 */
function Avatar({ message, source }: { message: Message; source: AvatarSource }) {
  const local = <img class="avatar" src={escapeHtml(avatarPath(message.username))} alt="" width="48" height="48" />;
  if (source === "local") return local;
  return (
    <span class="avatar">
      {local}
      <img src={escapeHtml(gravatarUrl(message.email))} alt="" />
    </span>
  );
}

function MessageItem({ message, avatars }: { message: Message; avatars: AvatarSource }) {
  return (
    <li>
      <Avatar message={message} source={avatars} />
      <p>
        <strong>
          <a href={escapeHtml(userPath(message.username))}>{escapeHtml(message.username)}</a>
        </strong>{" "}
        {escapeHtml(message.text)}{" "}
        <small>
          {"&mdash;"} {formatDate(message.pub_date)}
        </small>
      </p>
    </li>
  );
}

export type TimelineKind =
  | { kind: "public" }
  | { kind: "home" }
  | { kind: "user"; profile: { username: string }; following: boolean | "self" | undefined };

export interface MessageListProps {
  messages: Message[];
  /** The cursor of the next older page, when there is one. */
  older?: number;
  /** Default "local". */
  avatars?: AvatarSource;
}

/** The messages of a page and its "older messages" link: the same for every viewer of that page. */
export function MessageList({ messages, older, avatars = "local" }: MessageListProps): string {
  return (
    <>
      <ul class="messages">
        {messages.length === 0 ? (
          <li>
            <em>There's no message so far.</em>
          </li>
        ) : (
          messages.map((m) => <MessageItem message={m} avatars={avatars} />)
        )}
      </ul>
      {older !== undefined && (
        <p class="pagination">
          <a class="older" href={`?before=${older}`}>
            older messages
          </a>
        </p>
      )}
    </>
  ) as string;
}

export interface TimelineProps {
  view: TimelineKind;
  /** The messages, rendered by MessageList (the timeline cache keeps them rendered). */
  list: string;
  user?: PageUser;
  flashes?: string[];
}

function title(view: TimelineKind): string {
  if (view.kind === "public") return "Public Timeline";
  if (view.kind === "home") return "My Timeline";
  return `${view.profile.username}'s Timeline`;
}

function FollowStatus({ profile, following }: { profile: { username: string }; following: boolean | "self" }) {
  if (following === "self") return <div class="followstatus">This is you!</div>;
  const action = following ? "unfollow" : "follow";
  return (
    <div class="followstatus">
      {following ? "You are currently following this user." : "You are not yet following this user."}{" "}
      <form class="inline" action={escapeHtml(`${userPath(profile.username)}/${action}`)} method="post">
        <button type="submit" class={action}>
          {following ? "Unfollow user" : "Follow user"}
        </button>
      </form>
    </div>
  );
}

export function Timeline({ view, list, user, flashes }: TimelineProps): string {
  const heading = title(view);
  return (
    <Layout title={heading} user={user} flashes={flashes}>
      <h2>{escapeHtml(heading)}</h2>
      {view.kind === "user" && view.following !== undefined && (
        <FollowStatus profile={view.profile} following={view.following} />
      )}
      {view.kind === "home" && user && (
        <div class="twitbox">
          <h3>What's on your mind {escapeHtml(user.username)}?</h3>
          <form action="/add_message" method="post">
            <p>
              <input type="text" name="text" size="60" maxlength="1000" aria-label="Message" />
              <input type="submit" value="Share" />
            </p>
          </form>
        </div>
      )}
      {list}
    </Layout>
  ) as string;
}
