// Every SQL file of the program, imported as text once, so the compiled executable carries them.
import followsDelete from "../sql/follows/delete.sql" with { type: "text" };
import followsDeleteByName from "../sql/follows/delete_by_name.sql" with { type: "text" };
import followsExists from "../sql/follows/exists.sql" with { type: "text" };
import followsInsert from "../sql/follows/insert.sql" with { type: "text" };
import followsInsertByName from "../sql/follows/insert_by_name.sql" with { type: "text" };
import followsWhom from "../sql/follows/whom.sql" with { type: "text" };
import health from "../sql/health.sql" with { type: "text" };
import latestGet from "../sql/latest/get.sql" with { type: "text" };
import latestSet from "../sql/latest/set.sql" with { type: "text" };
import messagesApiPublic from "../sql/messages/api_public.sql" with { type: "text" };
import messagesApiUser from "../sql/messages/api_user.sql" with { type: "text" };
import messagesCountFlagged from "../sql/messages/count_flagged.sql" with { type: "text" };
import messagesFlag from "../sql/messages/flag.sql" with { type: "text" };
import messagesHome from "../sql/messages/home_timeline.sql" with { type: "text" };
import messagesHomeBefore from "../sql/messages/home_timeline_before.sql" with { type: "text" };
import messagesInsert from "../sql/messages/insert.sql" with { type: "text" };
import messagesInsertByName from "../sql/messages/insert_by_name.sql" with { type: "text" };
import messagesList from "../sql/messages/list.sql" with { type: "text" };
import messagesPublicIds from "../sql/messages/public_ids.sql" with { type: "text" };
import messagesPublic from "../sql/messages/public_timeline.sql" with { type: "text" };
import messagesPublicBefore from "../sql/messages/public_timeline_before.sql" with { type: "text" };
import messagesUnflag from "../sql/messages/unflag.sql" with { type: "text" };
import messagesUser from "../sql/messages/user_timeline.sql" with { type: "text" };
import messagesUserBefore from "../sql/messages/user_timeline_before.sql" with { type: "text" };
import metricsLatest from "../sql/metrics/latest.sql" with { type: "text" };
import metricsRecount from "../sql/metrics/recount.sql" with { type: "text" };
import metricsRowCounts from "../sql/metrics/row_counts.sql" with { type: "text" };
import init from "../sql/migrations/0001_init.sql" with { type: "text" };
import rowCounts from "../sql/migrations/0002_row_counts.sql" with { type: "text" };
import autovacuumVisibility from "../sql/migrations/0003_autovacuum_visibility.sql" with { type: "text" };
import flaggedIndex from "../sql/migrations/0004_flagged_index.sql" with { type: "text" };
import nameKeys from "../sql/migrations/0005_name_keys.sql" with { type: "text" };
import loginFailures from "../sql/migrations/0006_login_failures.sql" with { type: "text" };
import sessions from "../sql/migrations/0007_sessions.sql" with { type: "text" };
import publicIndexAuthor from "../sql/migrations/0008_public_index_author.sql" with { type: "text" };
import schemaApplied from "../sql/schema/applied.sql" with { type: "text" };
import schemaRecord from "../sql/schema/record.sql" with { type: "text" };
import sessionsAlive from "../sql/sessions/alive.sql" with { type: "text" };
import sessionsDelete from "../sql/sessions/delete.sql" with { type: "text" };
import sessionsInsert from "../sql/sessions/insert.sql" with { type: "text" };
import sessionsPurge from "../sql/sessions/purge.sql" with { type: "text" };
import throttleFail from "../sql/throttle/fail.sql" with { type: "text" };
import throttlePurge from "../sql/throttle/purge.sql" with { type: "text" };
import throttleRetryAfter from "../sql/throttle/retry_after.sql" with { type: "text" };
import usersById from "../sql/users/by_id.sql" with { type: "text" };
import usersByName from "../sql/users/by_name.sql" with { type: "text" };
import usersCredentials from "../sql/users/credentials.sql" with { type: "text" };
import usersFillNameKeys from "../sql/users/fill_name_keys.sql" with { type: "text" };
import usersInsert from "../sql/users/insert.sql" with { type: "text" };
import usersNames from "../sql/users/names.sql" with { type: "text" };
import usersPagesByName from "../sql/users/pages_by_name.sql" with { type: "text" };
import usersWithoutKey from "../sql/users/without_key.sql" with { type: "text" };

/** Queries by name: the file's path under sql/ without `.sql`. */
export const queries = {
  health,
  "follows/delete": followsDelete,
  "follows/delete_by_name": followsDeleteByName,
  "follows/exists": followsExists,
  "follows/insert": followsInsert,
  "follows/insert_by_name": followsInsertByName,
  "follows/whom": followsWhom,
  "latest/get": latestGet,
  "latest/set": latestSet,
  "messages/api_public": messagesApiPublic,
  "messages/api_user": messagesApiUser,
  "messages/count_flagged": messagesCountFlagged,
  "messages/flag": messagesFlag,
  "messages/home_timeline": messagesHome,
  "messages/home_timeline_before": messagesHomeBefore,
  "messages/insert": messagesInsert,
  "messages/insert_by_name": messagesInsertByName,
  "messages/list": messagesList,
  "messages/public_timeline": messagesPublic,
  "messages/public_timeline_before": messagesPublicBefore,
  "messages/public_ids": messagesPublicIds,
  "messages/unflag": messagesUnflag,
  "messages/user_timeline": messagesUser,
  "messages/user_timeline_before": messagesUserBefore,
  "metrics/latest": metricsLatest,
  /** Several statements: run with exec() inside a transaction (recountRows). */
  "metrics/recount": metricsRecount,
  "metrics/row_counts": metricsRowCounts,
  "schema/applied": schemaApplied,
  "schema/record": schemaRecord,
  "sessions/alive": sessionsAlive,
  "sessions/delete": sessionsDelete,
  "sessions/insert": sessionsInsert,
  "sessions/purge": sessionsPurge,
  "throttle/fail": throttleFail,
  "throttle/purge": throttlePurge,
  "throttle/retry_after": throttleRetryAfter,
  "users/by_id": usersById,
  "users/by_name": usersByName,
  "users/credentials": usersCredentials,
  "users/fill_name_keys": usersFillNameKeys,
  "users/insert": usersInsert,
  "users/names": usersNames,
  "users/pages_by_name": usersPagesByName,
  "users/without_key": usersWithoutKey,
} as const;

export type QueryName = keyof typeof queries;

/** Numbered migrations, applied in this order. */
export const migrations: readonly { readonly name: string; readonly sql: string }[] = [
  { name: "0001_init", sql: init },
  { name: "0002_row_counts", sql: rowCounts },
  { name: "0003_autovacuum_visibility", sql: autovacuumVisibility },
  { name: "0004_flagged_index", sql: flaggedIndex },
  { name: "0005_name_keys", sql: nameKeys },
  { name: "0006_login_failures", sql: loginFailures },
  { name: "0007_sessions", sql: sessions },
  { name: "0008_public_index_author", sql: publicIndexAuthor },
];
