// Business: how much MiniTwit is used, from PostgreSQL (as the seed team's dashboard did) and Prometheus.
import { board, graph, prom, single, sql } from "./panels.ts";

// Counts come from row_counts (kept by triggers), never count(*) over millions of rows.
const count = (name: string, label: string) =>
  `SELECT coalesce(sum(value), 0)::bigint AS "${label}" FROM row_counts WHERE name = '${name}'`;

export function businessDashboard() {
  return board("minitwit-business", "MiniTwit / Business", "Users, messages, follows and the simulator's progress")
    .withPanel(
      single(1, "Users", "Registered users (PostgreSQL, row_counts)", [sql(count("users", "users"))], {
        size: { w: 6, h: 4 },
      }),
    )
    .withPanel(
      single(2, "Messages", "Stored messages, flagged ones included (PostgreSQL)", [
        sql(count("messages", "messages")),
      ]),
    )
    .withPanel(single(3, "Follow relations", "Who-follows-whom pairs (PostgreSQL)", [sql(count("follows", "follows"))]))
    .withPanel(
      single(
        4,
        "Flagged messages",
        "Messages operators flagged: hidden from every timeline (PostgreSQL)",
        [sql(count("flagged", "flagged"))],
        {
          thresholds: [
            { value: null, color: "green" },
            { value: 1, color: "orange" },
          ],
        },
      ),
    )
    .withPanel(
      graph(
        5,
        "Users, messages and follows over time",
        "The Prometheus gauges (every replica reports the same global count, hence max)",
        [
          prom("max(minitwit_users)", "users"),
          prom("max(minitwit_messages)", "messages"),
          prom("max(minitwit_follows)", "follows"),
          prom("max(minitwit_flagged_messages)", "flagged"),
        ],
      ),
    )
    .withPanel(
      graph(6, "Simulator latest", "The simulator's `latest` value: a rising line means it is making progress", [
        prom("max(minitwit_latest)", "latest"),
      ]),
    )
    .withPanel(
      graph(
        7,
        "Messages per hour (stored)",
        "Visible messages by publication hour (PostgreSQL; the public-timeline index serves it)",
        [
          sql(
            `SELECT $__timeGroupAlias(pub_date, '1h'), count(*) AS "messages" FROM messages WHERE $__timeFilter(pub_date) AND NOT flagged GROUP BY 1 ORDER BY 1`,
            "time_series",
          ),
        ],
      ),
    )
    .withPanel(
      graph(8, "Registrations per hour (stored)", "New users by registration hour (PostgreSQL)", [
        sql(
          `SELECT $__timeGroupAlias(created_at, '1h'), count(*) AS "registrations" FROM users WHERE $__timeFilter(created_at) GROUP BY 1 ORDER BY 1`,
          "time_series",
        ),
      ]),
    )
    .withPanel(
      graph(
        9,
        "Posts and registrations per hour by service",
        "Counted as they are answered, web pages and simulator API apart",
        [
          prom("sum by (service) (increase(minitwit_messages_posted_total[1h]))", "messages {{service}}"),
          prom("sum by (service) (increase(minitwit_registrations_total[1h]))", "registrations {{service}}"),
        ],
      ),
    )
    .withPanel(
      graph(10, "Follows and unfollows per hour by service", "Successful follow and unfollow actions", [
        prom("sum by (service) (increase(minitwit_follows_total[1h]))", "follows {{service}}"),
        prom("sum by (service) (increase(minitwit_unfollows_total[1h]))", "unfollows {{service}}"),
      ]),
    )
    .withPanel(
      graph(11, "Sign-ins per hour by outcome", "Web sign-ins; a jump in failures may be someone guessing passwords", [
        prom("sum by (outcome) (increase(minitwit_logins_total[1h]))", "{{outcome}}"),
      ]),
    );
}
