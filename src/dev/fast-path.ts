import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseQuery } from "node:querystring";
import type { RequestContext } from "../sdk/remote.ts";
import { readBody } from "../shared/read-body.ts";
import { nonJsonBodyRefusal } from "../shared/request-guard.ts";
import { callLbHandler, type LbHandlerFn, lbBodyInput, parseJsonBody, pathOf } from "./lb-call.ts";
import { answerQb, type QbCallDeps, qbBaseOf } from "./qb-call.ts";
import { BODY_LIMITS, type DevRoute, type LbRoute, LIMIT_LABELS, type QbRoute } from "./routes.ts";

type FastRoute =
  | { kind: "lb"; handler: LbHandlerFn; usesQuery: boolean; limit: number; label: string }
  | { kind: "qb"; route: QbRoute; base: string; limit: number; label: string };

/**
 * Serves the hot routes of a dev server straight from node:http: LB routes with static paths (an
 * LB handler answering JSON costs little more than a bare server) and, when `qb` is given, the QB
 * routes (`/run`, `/run_sync`, `/runsync`). It answers exactly as the Fastify routes do (same
 * parsing, errors and limits; QB answers come from the same {@link answerQb}) and hands everything
 * else to Fastify: routes with path parameters, status routes, HEAD, other methods (404/405), and
 * bodies announced over the limit (Fastify answers those 413 after draining them).
 * @returns a function that serves the request and returns a promise settling once it is answered
 *   (rejected if answering failed), or returns false without touching it
 */
export function createFastPath(
  routes: readonly DevRoute[],
  deps: { lbHandler: (route: LbRoute) => LbHandlerFn; showStacks: boolean; qb?: QbCallDeps },
): FastPath {
  const table = new Map<string, FastRoute>();
  for (const route of routes) {
    let entry: FastRoute;
    if (route.kind === "lb") {
      if (route.path.includes("{")) continue;
      entry = {
        kind: "lb",
        handler: deps.lbHandler(route),
        usesQuery: route.method === "GET" || route.method === "DELETE",
        limit: BODY_LIMITS.lb,
        label: LIMIT_LABELS.lb,
      };
    } else if (route.kind === "qb" && deps.qb) {
      const run = route.operation === "run";
      entry = {
        kind: "qb",
        route,
        base: qbBaseOf(route),
        limit: run ? BODY_LIMITS.run : BODY_LIMITS.runSync,
        label: run ? LIMIT_LABELS.run : LIMIT_LABELS.runSync,
      };
    } else continue;
    table.set(`${route.method} ${route.path}`, entry);
    // Fastify ignores a trailing slash; so does this.
    table.set(
      `${route.method} ${route.path.endsWith("/") ? route.path.slice(0, -1) : `${route.path}/`}`,
      entry,
    );
  }
  if (table.size === 0) return () => false;
  const { showStacks, qb } = deps;
  return (req, res) => {
    const url = req.url ?? "/";
    const path = pathOf(url);
    const route = table.get(`${req.method} ${path}`);
    if (!route) return false;
    const declared = req.headers["content-length"];
    if (declared !== undefined && Number(declared) > route.limit) return false;
    let ctx: RequestContext | undefined;
    if (route.kind === "lb") {
      const query =
        url.length === path.length ? {} : (parseQuery(url.slice(path.length + 1)) as RequestContext["query"]);
      ctx = { method: req.method ?? "GET", path, params: {}, query, headers: req.headers, raw: req };
      if (route.usesQuery) {
        req.resume();
        return respondLb(res, route.handler, query, ctx, showStacks);
      }
    }
    return serveBody(req, res, route, ctx, showStacks, qb);
  };
}

/** Serves one request, or declines it (false) for Fastify to serve. */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => false | Promise<void>;

async function serveBody(
  req: IncomingMessage,
  res: ServerResponse,
  route: FastRoute,
  ctx: RequestContext | undefined,
  showStacks: boolean,
  qb: QbCallDeps | undefined,
): Promise<void> {
  const { body, tooLarge } = await readBody(req, route.limit);
  if (tooLarge) return send(res, 413, { error: `The body is too large (over ${route.label}).` });
  if (!req.complete) return; // the client went away mid-body: nobody to answer
  const notJson = nonJsonBodyRefusal(req.headers["content-type"], body.length);
  if (notJson) return send(res, notJson.status, { error: notJson.message });
  const parsed = parseJsonBody(body.toString());
  if (route.kind === "qb") {
    if (!parsed.ok) return send(res, 400, { error: parsed.error });
    const a = await answerQb(route.route, route.base, parsed.value, qb!);
    return send(res, a.status, a.payload);
  }
  const input = parsed.ok ? lbBodyInput(parsed.value) : parsed;
  if (!input.ok) return send(res, 400, { error: input.error });
  return respondLb(res, route.handler, input.value, ctx!, showStacks);
}

async function respondLb(
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
