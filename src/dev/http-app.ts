import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { RequestContext } from "../sdk/remote.ts";
import { FlashError } from "../shared/errors.ts";
import { nonJsonBodyRefusal } from "../shared/request-guard.ts";
import { createFastPath } from "./fast-path.ts";
import type { JobStore } from "./job-store.ts";
import { callLbHandler, type LbHandlerFn, lbBodyInput, parseJsonBody, pathOf } from "./lb-call.ts";
import { answerQb, qbBaseOf } from "./qb-call.ts";
import {
  BODY_LIMITS,
  type DevRoute,
  type LbRoute,
  LIMIT_LABELS,
  pathMatcher,
  type QbRoute,
  type StatusRoute,
  toFastifyPath,
} from "./routes.ts";

/**
 * A node:http request listener, swapped in whole on reload. A returned promise settles once the
 * request is answered; the host answers 500 when it rejects (serve-safely.ts).
 */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export type { LbHandlerFn } from "./lb-call.ts";

/** What the HTTP layer needs from the rest of the dev server. */
export interface HttpAppDeps {
  routes: readonly DevRoute[];
  /** Runs a QB function (through the dispatcher) and resolves with its output. */
  runQb(route: QbRoute, input: unknown): Promise<unknown>;
  /** The loaded handler of an LB route. */
  lbHandler(route: LbRoute): LbHandlerFn;
  jobs: JobStore;
  /** Include error stacks in 500 responses (the dev server does; tests may not). */
  showStacks: boolean;
}

declare module "fastify" {
  interface FastifyContextConfig {
    /** Names the body limit of a route in its 413 message. */
    limitLabel?: string;
  }
}

type FastifyFactory = typeof import("fastify").default;

let fastifyLoading: Promise<FastifyFactory> | undefined;

/**
 * Starts loading Fastify (a few hundred milliseconds of module loading) so that it overlaps with
 * work done elsewhere, such as esbuild bundling in its own process.
 */
export function loadFastify(): Promise<FastifyFactory> {
  fastifyLoading ??= import("fastify").then(async (m) => {
    // The first instance pulls in Fastify's lazily required parts; pay that here, while other
    // start-up work (esbuild) runs, rather than on the start-up path.
    await m.default({ logger: false }).close();
    return m.default;
  });
  return fastifyLoading;
}

/**
 * Builds the Fastify app serving one generation of routes and returns its request listener. A new
 * app is built on every reload and swapped in by the host server, because Fastify cannot change
 * routes once started. No schemas (the OpenAPI document comes from the docs app), so the
 * per-request path is a JSON parse, the handler and a JSON stringify; QB routes and LB routes with
 * static paths skip Fastify altogether (see fast-path.ts).
 */
export async function buildHttpApp(
  deps: HttpAppDeps,
): Promise<{ listener: RequestListener; app: FastifyInstance }> {
  const Fastify = await loadFastify();
  let listener: RequestListener | undefined;
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMITS.lb,
    routerOptions: { ignoreTrailingSlash: true },
    serverFactory: (handler) => {
      listener = handler as RequestListener;
      return createServer();
    },
  });
  installBodyParser(app);
  installErrorHandlers(app, deps.routes);

  app.get("/", async () => ({ message: "Flash Dev Server", docs: "/docs" }));
  app.get("/ping", async () => ({ status: "healthy" }));

  for (const route of deps.routes) {
    if (route.kind === "qb") addQbRoute(app, route, deps);
    else if (route.kind === "status") addStatusRoute(app, route, deps);
    else addLbRoute(app, route, deps);
  }
  await app.ready();
  const viaFastify = listener;
  if (!viaFastify) throw new FlashError("INTERNAL", "Fastify did not hand over its request listener.");
  const fast = createFastPath(deps.routes, {
    lbHandler: (route) => deps.lbHandler(route),
    showStacks: deps.showStacks,
    qb: deps,
  });
  return { listener: (req, res) => fast(req, res) || viaFastify(req, res), app };
}

function addQbRoute(app: FastifyInstance, route: QbRoute, deps: HttpAppDeps): void {
  const base = qbBaseOf(route);
  const sync = route.operation !== "run";
  app.post(
    toFastifyPath(route.path),
    {
      bodyLimit: sync ? BODY_LIMITS.runSync : BODY_LIMITS.run,
      config: { limitLabel: sync ? LIMIT_LABELS.runSync : LIMIT_LABELS.run },
    },
    async (request: FastifyRequest, reply: FastifyReply) => {
      const { status, payload } = await answerQb(route, base, request.body, deps);
      return reply.code(status).send(payload);
    },
  );
}

function addStatusRoute(app: FastifyInstance, route: StatusRoute, deps: HttpAppDeps): void {
  const base = route.path.slice(0, -"/status/{id}".length);
  app.get(toFastifyPath(route.path), async (request, reply) => {
    const { id } = request.params as { id: string };
    const job = deps.jobs.get(id);
    if (!job || job.base !== base) {
      return reply.code(404).send({ error: `No job ${id} in this session at ${base}.` });
    }
    const { base: _base, ...shown } = job;
    return reply.send(shown);
  });
}

function addLbRoute(app: FastifyInstance, route: LbRoute, deps: HttpAppDeps): void {
  const usesQuery = route.method === "GET" || route.method === "DELETE";
  const handler = deps.lbHandler(route);
  app.route({
    method: route.method,
    url: toFastifyPath(route.path),
    bodyLimit: BODY_LIMITS.lb,
    config: { limitLabel: LIMIT_LABELS.lb },
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const input = usesQuery ? { ok: true as const, value: request.query ?? {} } : lbBodyInput(request.body);
      if (!input.ok) return reply.code(400).send({ error: input.error });
      const ctx: RequestContext = {
        method: request.method,
        path: pathOf(request.url),
        params: request.params as Record<string, string>,
        query: request.query as Record<string, string | string[]>,
        headers: request.headers,
        raw: request.raw,
      };
      const { status, body } = await callLbHandler(handler, input.value, ctx, deps.showStacks);
      return reply.code(status).type("application/json; charset=utf-8").send(body);
    },
  });
}

/**
 * One parser for every content type, so that a body which is not JSON gets the same 415 (and an
 * empty one the same 400) as on the fast path: a JSON type is required (request-guard.ts), which
 * keeps a web page from posting here without a CORS preflight.
 */
function installBodyParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (request, body, done) => {
    const notJson = nonJsonBodyRefusal(request.headers["content-type"], (body as string).length);
    if (notJson)
      return done(Object.assign(new Error(notJson.message), { statusCode: notJson.status }), undefined);
    const parsed = parseJsonBody(body as string);
    if (parsed.ok) done(null, parsed.value);
    else done(badRequest(parsed.error), undefined);
  });
}

function installErrorHandlers(app: FastifyInstance, routes: readonly DevRoute[]): void {
  const matchers = routes.map((r) => ({ method: r.method, match: pathMatcher(r.path) }));
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      const label = request.routeOptions.config.limitLabel ?? "the limit";
      // Read the rest of the body before answering: a client still sending would otherwise see a
      // broken pipe instead of the 413.
      drain(request.raw, () => reply.code(413).send({ error: `The body is too large (over ${label}).` }));
      return;
    }
    const code = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    return reply.code(code).send({ error: err.message });
  });
  app.setNotFoundHandler((request, reply) => {
    const path = pathOf(request.url);
    const allowed: string[] = [...new Set(matchers.filter((m) => m.match.test(path)).map((m) => m.method))];
    if (allowed.length > 0) {
      if (allowed.includes("GET")) allowed.push("HEAD");
      return reply
        .code(405)
        .header("allow", allowed.join(", "))
        .send({ error: `Method ${request.method} is not allowed on ${path}; use ${allowed.join(" or ")}.` });
    }
    return reply.code(404).send({ error: `No route ${request.method} ${path}. See /docs for the routes.` });
  });
}

/** Most bytes of an oversized body read and discarded before the connection is cut instead. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

function drain(raw: IncomingMessage, then: () => void): void {
  if (raw.readableEnded || raw.destroyed) {
    then();
    return;
  }
  let seen = 0;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    then();
  };
  raw.on("data", (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > MAX_DRAIN_BYTES) {
      raw.destroy();
      finish();
    }
  });
  raw.once("end", finish);
  raw.once("error", finish);
  raw.resume();
}

function badRequest(message: string): Error & { statusCode: number } {
  return Object.assign(new Error(message), { statusCode: 400 });
}
