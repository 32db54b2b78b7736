// The page frame of every HTML page: title, navigation, flashes, body, footer.
import type { Children } from "@kitajs/html";
import { escapeHtml } from "./escape.ts";

export interface PageUser {
  username: string;
}

export interface LayoutProps {
  title: string;
  user?: PageUser;
  flashes?: string[];
  children?: Children;
}

export function Layout({ title, user, flashes = [], children }: LayoutProps): string {
  return (
    "<!doctype html>" +
    (
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{escapeHtml(title)} | MiniTwit</title>
          <link rel="stylesheet" href="/static/style.css" />
        </head>
        <body>
          <div class="page">
            <header>
              <h1>MiniTwit</h1>
              <nav class="navigation">
                {user ? (
                  <>
                    <a href="/">my timeline</a> | <a href="/public">public timeline</a> |{" "}
                    <a href="/logout">sign out [{escapeHtml(user.username)}]</a>
                  </>
                ) : (
                  <>
                    <a href="/public">public timeline</a> | <a href="/register">sign up</a> |{" "}
                    <a href="/login">sign in</a>
                  </>
                )}
              </nav>
            </header>
            <main class="body">
              {flashes.length > 0 && (
                <ul class="flashes">
                  {flashes.map((f) => (
                    <li>{escapeHtml(f)}</li>
                  ))}
                </ul>
              )}
              {children}
            </main>
            <footer class="footer">MiniTwit {"&mdash;"} A Bun Application</footer>
          </div>
        </body>
      </html>
    )
  );
}
