import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { pathToFileURL } from "node:url";
import { MAX_JSON_DEPTH, parseJsonLimited } from "../shared/json-depth.ts";
import { readBody } from "../shared/read-body.ts";
import { LB_PAYLOAD_LIMIT } from "../shared/schemas/job.ts";
import { type SafeRequestListener, serveSafely } from "../shared/serve-safely.ts";
import { loadDeployedCode } from "./artifact.ts";
import { describeError, resolveExport, type UserFunction } from "./call-export.ts";
import { installDeployedDispatcher } from "./deployed-dispatcher.ts";
import type { WorkerEnv } from "./env.ts";

interface Route {
  method: string;
  pattern: RegExp;
  params: string[];
  fn: UserFunction;
}

export interface LbWorker {
  stop(): Promise<void>;
}

/**
 * The load-balanced worker: an HTTP server on PORT serving the resource's routes from the artifact's
 * manifest (`{name, http_method, http_path}`), and `GET /ping` on PORT_HEALTH (the same server when
 * equal): 204 while the code loads, 200 once it serves, as RunPod's load balancer expects.
 * Handlers run in this process (an LB request has no job to fail; a crash is a worker the platform
 * replaces). The body (JSON) is the handler's first argument, or the query for GET and DELETE; the
 * second is the request context; the return value is the JSON response.
 */
export async function startLbWorker(env: WorkerEnv, log: (line: string) => void): Promise<LbWorker> {
  if (!env.resourceName) throw new Error("FLASH_RESOURCE_NAME must be set for a load-balanced worker");
  let routes: Route[] | undefined;
  let loadError: string | undefined;

  const ping = (res: ServerResponse) => {
    if (loadError) return json(res, 503, { status: "unhealthy", error: loadError });
    if (!routes) return void res.writeHead(204).end();
    json(res, 200, { status: "healthy" });
  };

  // A failure serving one request answers it 500; it never ends the worker and its other requests.
  const safely = (listener: SafeRequestListener) =>
    serveSafely(listener, {
      label: "worker error",
      onError: (err, req) =>
        log(
          `${req.method} ${req.url} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        ),
    });
  const main = createServer(
    safely((req, res) => {
      const path = (req.url ?? "/").split("?")[0]!;
      if (path === "/ping" && env.portHealth === env.port) return ping(res);
      if (!routes) return json(res, 503, { error: loadError ?? "the worker is still loading" });
      return serve(routes, req, res, log);
    }),
  );
  const servers: Server[] = [main];
  await listen(main, env.port);
  if (env.portHealth !== env.port) {
    const health = createServer(safely((_req, res) => ping(res)));
    servers.push(health);
    await listen(health, env.portHealth);
  }
  log(`load-balanced worker listening on port ${env.port} (health on ${env.portHealth})`);

  try {
    const code = await loadDeployedCode(env, env.resourceName, log);
    installDeployedDispatcher();
    const mod = (await import(pathToFileURL(code.modulePath).href)) as Record<string, unknown>;
    routes = code.resource.functions.map((f) => {
      if (!f.method || !f.path) throw new Error(`manifest function "${f.name}" has no http_method/http_path`);
      const params: string[] = [];
      const source = f.path.replace(
        /\{([A-Za-z_][A-Za-z0-9_]*)\}|[.*+?^$()|[\]\\]/g,
        (m, name: string | undefined) => {
          if (name === undefined) return `\\${m}`;
          params.push(name);
          return "([^/]+)";
        },
      );
      return {
        method: f.method,
        pattern: new RegExp(`^${source}/?$`),
        params,
        fn: resolveExport(mod, f.name, `resources/${env.resourceName}.mjs`),
      };
    });
  } catch (err) {
    loadError = (err as Error).message;
    log(`failed to load routes: ${loadError}`);
  }

  return {
    async stop() {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}

async function serve(
  routes: Route[],
  req: IncomingMessage,
  res: ServerResponse,
  log: (line: string) => void,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://worker");
  const matching = routes.filter((r) => r.pattern.test(url.pathname));
  if (matching.length === 0) return json(res, 404, { error: `no route for ${url.pathname}` });
  const route = matching.find((r) => r.method === req.method);
  if (!route) {
    res.setHeader("allow", matching.map((r) => r.method).join(", "));
    return json(res, 405, { error: `${req.method} is not allowed on ${url.pathname}` });
  }
  const m = route.pattern.exec(url.pathname)!;
  const params = Object.fromEntries(route.params.map((p, i) => [p, decodeURIComponent(m[i + 1]!)]));
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  let input: unknown = query;
  if (req.method !== "GET" && req.method !== "DELETE") {
    const { body, tooLarge } = await readBody(req, LB_PAYLOAD_LIMIT);
    if (tooLarge)
      return json(res, 413, { error: `request body over the ${LB_PAYLOAD_LIMIT / 1024 / 1024} MB limit` });
    if (!req.complete) return; // the client went away mid-body: nobody to answer
    if (body.length === 0) input = {};
    else {
      const parsed = parseJsonLimited(body, MAX_JSON_DEPTH);
      if (!parsed.ok) {
        const why =
          parsed.reason === "depth"
            ? `the request body is refused: ${parsed.message}`
            : "the request body is not valid JSON";
        return json(res, 400, { error: why });
      }
      input = parsed.value;
    }
  }
  const ctx = {
    method: req.method ?? "GET",
    path: url.pathname,
    params,
    query,
    headers: req.headers,
    raw: req,
  };
  try {
    const out = await route.fn(input, ctx);
    json(res, 200, out === undefined ? null : out);
  } catch (err) {
    const info = describeError(err);
    log(`${req.method} ${url.pathname} failed: ${info.error_traceback ?? info.error_message}`);
    json(res, 500, { error: info.error_message });
  }
}

function json(res: ServerResponse, status: number, value: unknown): void {
  let body: string;
  try {
    body = JSON.stringify(value);
  } catch (err) {
    status = 500;
    body = JSON.stringify({ error: `the response cannot be sent as JSON: ${(err as Error).message}` });
  }
  res
    .writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
    .end(body);
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "0.0.0.0", () => {
      server.off("error", reject);
      resolve();
    });
  });
}
