import type { IncomingMessage, ServerResponse } from "node:http";
import { readLbRequest } from "../shared/http/lb-request.ts";
import { type Reply, sendJson, sendReply, unroutedReply } from "../shared/http/reply.ts";
import { type RouteDef, Router } from "../shared/http/router.ts";
import { callLbHandler, type LbHandlerFn } from "./lb-call.ts";
import { type QbQueueDeps, serveQbOperation } from "./qb-queue.ts";
import type { DevRoute, LbRoute } from "./routes.ts";

/**
 * A node:http request listener, swapped in whole on reload. A returned promise settles once the
 * request is answered; the host answers 500 when it rejects (serve-safely.ts).
 */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** What `/openapi.json` and `/docs` are served from. */
export interface DocsSource {
  /** The OpenAPI document of the generation's routes. */
  document(): unknown;
  /** A Swagger UI page or asset for a `/docs` path, or undefined (404). */
  asset(
    path: string,
  ): Promise<{ status: number; headers: Record<string, string>; body: Buffer | string } | undefined>;
}

/** What one generation of routes needs from the rest of the dev server. */
export interface DevAppDeps extends QbQueueDeps {
  routes: readonly DevRoute[];
  /** The loaded handler of an LB route. */
  lbHandler(route: LbRoute): LbHandlerFn;
  /** Include error stacks in 500 responses. */
  showStacks: boolean;
  docs: DocsSource;
}

type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string>,
  url: string,
) => unknown;

/**
 * The request listener of one generation of routes: the dev server's own paths (`/`, `/ping`,
 * `/openapi.json`, `/docs`), every LB route and the queue API of every QB prefix, all in one table
 * of the shared routing core (src/shared/http/router.ts), so 404, 405, trailing slashes and path
 * parameters follow one rule. Built in microseconds: a reload builds a new one and swaps it in.
 */
export function createDevApp(deps: DevAppDeps): RequestListener {
  const table: RouteDef<Handler>[] = [
    {
      method: "GET",
      path: "/",
      handler: (_q, res) => sendJson(res, 200, { message: "Flash Dev Server", docs: "/docs" }),
    },
    { method: "GET", path: "/ping", handler: (_q, res) => sendJson(res, 200, { status: "healthy" }) },
    { method: "GET", path: "/openapi.json", handler: openApi(deps.docs) },
    { method: "GET", path: "/docs", handler: docsAsset(deps.docs) },
    { method: "GET", path: "/docs/{asset*}", handler: docsAsset(deps.docs) },
  ];
  for (const route of deps.routes) {
    if (route.kind === "qb") {
      table.push({
        method: route.method,
        path: route.path,
        handler: (req, res, params, url) => serveQbOperation(route, req, res, params, url, deps),
      });
    } else {
      const handler = deps.lbHandler(route);
      table.push({
        method: route.method,
        path: route.path,
        handler: async (req, res, params, url) => {
          const request = await readLbRequest(req, url, params);
          if (!request.ok) {
            if (request.reply) sendReply(res, request.reply);
            return;
          }
          const { status, body } = await callLbHandler(handler, request.input, request.ctx, deps.showStacks);
          res.writeHead(status, {
            "content-type": "application/json; charset=utf-8",
            "content-length": Buffer.byteLength(body),
          });
          res.end(body);
        },
      });
    }
  }
  const router = new Router(table);
  return (req, res) => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? "GET";
    const match = router.match(method, path);
    if (match.kind === "found") return match.handler(req, res, match.params, url) as void | Promise<void>;
    req.resume();
    sendReply(res, unroutedReply(match, method, path, "See /docs for the routes."));
  };
}

function openApi(docs: DocsSource): Handler {
  let text: string | undefined;
  return (_req, res) => {
    text ??= JSON.stringify(docs.document());
    res.writeHead(200, {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(text),
    });
    res.end(text);
  };
}

function docsAsset(docs: DocsSource): Handler {
  return async (req, res, _params, url) => {
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const asset = await docs.asset(path);
    if (!asset) {
      const reply: Reply = { status: 404, body: { error: `No docs asset ${path}.` } };
      return sendReply(res, reply);
    }
    res.writeHead(asset.status, { ...asset.headers, "content-length": Buffer.byteLength(asset.body) });
    res.end(req.method === "HEAD" ? undefined : asset.body);
  };
}
