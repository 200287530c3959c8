import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseQuery } from "node:querystring";
import type { RequestContext } from "../sdk/remote.ts";
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
 * @returns a function that serves the request and returns true, or returns false without touching it
 */
export function createFastPath(
  routes: readonly DevRoute[],
  deps: { lbHandler: (route: LbRoute) => LbHandlerFn; showStacks: boolean; qb?: QbCallDeps },
): (req: IncomingMessage, res: ServerResponse) => boolean {
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
        void respondLb(res, route.handler, query, ctx, showStacks);
        return true;
      }
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= route.limit) chunks.push(chunk);
    });
    req.on("end", () => {
      if (size > route.limit) {
        send(res, 413, { error: `The body is too large (over ${route.label}).` });
        return;
      }
      const notJson = nonJsonBodyRefusal(req.headers["content-type"], size);
      if (notJson) {
        send(res, notJson.status, { error: notJson.message });
        return;
      }
      const parsed = parseJsonBody(
        chunks.length === 1 ? (chunks[0] as Buffer).toString() : Buffer.concat(chunks).toString(),
      );
      if (route.kind === "qb") {
        if (!parsed.ok) send(res, 400, { error: parsed.error });
        else
          void answerQb(route.route, route.base, parsed.value, qb!).then((a) =>
            send(res, a.status, a.payload),
          );
        return;
      }
      const input = parsed.ok ? lbBodyInput(parsed.value) : parsed;
      if (!input.ok) send(res, 400, { error: input.error });
      else void respondLb(res, route.handler, input.value, ctx!, showStacks);
    });
    return true;
  };
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
