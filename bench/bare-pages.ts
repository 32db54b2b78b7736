// The bare-serving ceiling of a page: Bun.serve answering, for each path, exactly the status, headers
// and body bytes the program answered for it (a JSON file written by ceilings.ts), and nothing else.
import { readFileSync } from "node:fs";

export interface SavedPage {
  path: string;
  status: number;
  headers: [string, string][];
  /** The body, base64. */
  body: string;
}

const [portArg, file] = Bun.argv.slice(2);
if (!portArg || !file) throw new Error("usage: bun bench/bare-pages.ts PORT PAGES.json");
const pages = new Map(
  (JSON.parse(readFileSync(file, "utf8")) as SavedPage[]).map((p) => [
    p.path,
    { status: p.status, headers: new Headers(p.headers), body: Buffer.from(p.body, "base64") },
  ]),
);

Bun.serve({
  port: Number(portArg),
  hostname: "127.0.0.1",
  fetch(request) {
    // wrk's paths carry no query: the path is what follows the origin.
    const url = request.url;
    const page = pages.get(url.slice(url.indexOf("/", url.indexOf("//") + 2)));
    if (!page) return new Response("not a saved page", { status: 404 });
    return new Response(page.body, { status: page.status, headers: page.headers });
  },
});
