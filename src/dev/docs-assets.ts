import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { cliSdkEntry } from "./sdk-entry.ts";

/**
 * Swagger UI at `/docs`, from files the package carries (`dist/docs-assets`, copied from
 * swagger-ui-dist at build time): no CDN, so the docs work offline, and a Content-Security-Policy
 * that lets the page load nothing but this server's own files.
 */

export interface DocsAsset {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Flash Dev Server</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs/static/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/static/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script src="/docs/static/init.js"></script>
</body>
</html>
`;

// A file of its own rather than an inline script, so the CSP needs no 'unsafe-inline' for scripts.
const INIT = `window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  docExpansion: "list",
  deepLinking: true,
});
`;

const FILES: Record<string, string> = {
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui.css": "text/css; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

const cache = new Map<string, Promise<Buffer>>();

/** The page or file for a `/docs` path, or undefined when there is none (a 404). */
export async function docsAsset(path: string): Promise<DocsAsset | undefined> {
  if (path === "/docs" || path === "/docs/" || path === "/docs/index.html") {
    return {
      status: 200,
      headers: {
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": CSP,
        "cache-control": "no-cache",
      },
      body: PAGE,
    };
  }
  if (path === "/docs/static/init.js") {
    return {
      status: 200,
      headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" },
      body: INIT,
    };
  }
  const name = path.startsWith("/docs/static/") ? path.slice("/docs/static/".length) : undefined;
  const type = name !== undefined && Object.hasOwn(FILES, name) ? FILES[name] : undefined;
  if (!name || !type) return undefined;
  let file = cache.get(name);
  if (!file) {
    file = readFile(join(dirname(cliSdkEntry()), "docs-assets", name));
    cache.set(name, file);
    file.catch(() => cache.delete(name));
  }
  return {
    status: 200,
    headers: { "content-type": type, "cache-control": "public, max-age=86400" },
    body: await file,
  };
}
