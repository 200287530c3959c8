import type { DocsSource } from "./dev-app.ts";
import { docsAsset } from "./docs-assets.ts";
import { openApiDocument } from "./openapi.ts";
import type { DevRoute } from "./routes.ts";

/** `/openapi.json` (built on first request, once per generation of routes) and Swagger UI's files. */
export function docsSourceOf(routes: readonly DevRoute[]): DocsSource {
  let document: unknown;
  return {
    document: () => {
      document ??= openApiDocument(routes);
      return document;
    },
    asset: docsAsset,
  };
}
