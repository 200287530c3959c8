import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseQuery } from "node:querystring";
import type { RequestContext } from "../sdk/remote.ts";
import { callLbHandler, type LbHandlerFn, lbBodyInput, parseJsonBody, pathOf } from "./lb-call.ts";
import { BODY_LIMITS, type LbRoute } from "./routes.ts";

interface FastRoute {
  handler: LbHandlerFn;
  usesQuery: boolean;
}

/**
 * Serves LB routes with static paths straight from node:http, so the hot path of a dev server
 * (an LB handler answering JSON) costs little more than a bare server. It answers exactly as the
 * Fastify routes do (same parsing, errors and limits) and hands everything else to Fastify: routes
 * with path parameters, HEAD, and bodies announced over the limit (Fastify answers those 413).
 * @returns a function that serves the request and returns true, or returns false without touching it
 */
export function createLbFastPath(
  routes: readonly LbRoute[],
  handlerOf: (route: LbRoute) => LbHandlerFn,
  showStacks: boolean,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const table = new Map<string, FastRoute>();
  for (const route of routes) {
    if (route.path.includes("{")) continue;
    const entry = {
      handler: handlerOf(route),
      usesQuery: route.method === "GET" || route.method === "DELETE",
    };
    table.set(`${route.method} ${route.path}`, entry);
    // Fastify ignores a trailing slash; so does this.
    table.set(
      `${route.method} ${route.path.endsWith("/") ? route.path.slice(0, -1) : `${route.path}/`}`,
      entry,
    );
  }
  if (table.size === 0) return () => false;
  return (req, res) => {
    const url = req.url ?? "/";
    const path = pathOf(url);
    const route = table.get(`${req.method} ${path}`);
    if (!route) return false;
    const declared = req.headers["content-length"];
    if (declared !== undefined && Number(declared) > BODY_LIMITS.lb) return false;
    const query =
      url.length === path.length ? {} : (parseQuery(url.slice(path.length + 1)) as RequestContext["query"]);
    const ctx: RequestContext = {
      method: req.method ?? "GET",
      path,
      params: {},
      query,
      headers: req.headers,
      raw: req,
    };
    if (route.usesQuery) {
      req.resume();
      void respond(res, route.handler, query, ctx, showStacks);
      return true;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= BODY_LIMITS.lb) chunks.push(chunk);
    });
    req.on("end", () => {
      if (size > BODY_LIMITS.lb) {
        send(res, 413, {
          error: "The body is too large (over 30 MB, RunPod's limit for load-balanced requests).",
        });
        return;
      }
      const parsed = parseJsonBody(
        chunks.length === 1 ? (chunks[0] as Buffer).toString() : Buffer.concat(chunks).toString(),
      );
      const input = parsed.ok ? lbBodyInput(parsed.value) : parsed;
      if (!input.ok) send(res, 400, { error: input.error });
      else void respond(res, route.handler, input.value, ctx, showStacks);
    });
    return true;
  };
}

async function respond(
  res: ServerResponse,
  handler: LbHandlerFn,
  input: unknown,
  ctx: RequestContext,
  showStacks: boolean,
): Promise<void> {
  const { status, body } = await callLbHandler(handler, input, ctx, showStacks);
  write(res, status, body);
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  write(res, status, JSON.stringify(payload));
}

function write(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}
