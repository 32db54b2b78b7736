// The API reference page (/docs): Swagger UI from the swagger-ui-dist package, served by the program
// itself (embedded in the executable), so it renders without the internet and tells no CDN who reads it.
import { Elysia } from "elysia";
import stylesheet from "swagger-ui-dist/swagger-ui.css" with { type: "file" };
import script from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "file" };

/** The page's assets change only with the package's version: a day in caches is safe. */
export const DOCS_ASSET_CACHE = "public, max-age=86400";

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MiniTwit simulator API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<noscript><p>This page needs JavaScript. The API's OpenAPI document is at <a href="/openapi.json">/openapi.json</a>.</p></noscript>
<main id="swagger-ui"></main>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/start.js"></script>
</body>
</html>
`;

// A file of its own rather than an inline script, so that the page's CSP allows scripts from 'self' only.
// validatorUrl null: Swagger UI would otherwise send the document to its public validator.
const START = `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", validatorUrl: null, deepLinking: true });\n`;

function asset(path: string, type: string) {
  return ({ set }: { set: { headers: Record<string, string | number> } }) => {
    set.headers["content-type"] = type;
    set.headers["cache-control"] = DOCS_ASSET_CACHE;
    return Bun.file(path);
  };
}

/** GET /docs and its three assets; hidden from the OpenAPI document. */
export function docsRoutes() {
  const hidden = { detail: { hide: true } };
  return new Elysia({ name: "api-docs" })
    .get(
      "/docs",
      ({ set }) => {
        set.headers["content-type"] = "text/html; charset=utf-8";
        return PAGE;
      },
      hidden,
    )
    .get("/docs/swagger-ui-bundle.js", asset(script, "text/javascript; charset=utf-8"), hidden)
    .get("/docs/swagger-ui.css", asset(stylesheet, "text/css; charset=utf-8"), hidden)
    .get(
      "/docs/start.js",
      ({ set }) => {
        set.headers["content-type"] = "text/javascript; charset=utf-8";
        set.headers["cache-control"] = DOCS_ASSET_CACHE;
        return START;
      },
      hidden,
    );
}
