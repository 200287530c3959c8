import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { pathToFileURL } from "node:url";
import { readLbRequest } from "../shared/http/lb-request.ts";
import { pathOf, sendJson, sendReply, unroutedReply } from "../shared/http/reply.ts";
import { Router } from "../shared/http/router.ts";
import { type SafeRequestListener, serveSafely } from "../shared/serve-safely.ts";
import { loadDeployedCode } from "./artifact.ts";
import { describeError, resolveExport, type UserFunction } from "./call-export.ts";
import { installDeployedDispatcher } from "./deployed-dispatcher.ts";
import type { WorkerEnv } from "./env.ts";

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
  let routes: Router<UserFunction> | undefined;
  let loadError: string | undefined;

  const ping = (res: ServerResponse) => {
    if (loadError) return sendJson(res, 503, { status: "unhealthy", error: loadError });
    if (!routes) return void res.writeHead(204).end();
    sendJson(res, 200, { status: "healthy" });
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
      if (!routes) return sendJson(res, 503, { error: loadError ?? "the worker is still loading" });
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
    routes = new Router(
      code.resource.functions.map((f) => {
        if (!f.method || !f.path)
          throw new Error(`manifest function "${f.name}" has no http_method/http_path`);
        return {
          method: f.method,
          path: f.path,
          handler: resolveExport(mod, f.name, `resources/${env.resourceName}.mjs`),
        };
      }),
    );
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
  routes: Router<UserFunction>,
  req: IncomingMessage,
  res: ServerResponse,
  log: (line: string) => void,
): Promise<void> {
  const url = req.url ?? "/";
  const path = pathOf(url);
  const method = req.method ?? "GET";
  const match = routes.match(method, path);
  if (match.kind !== "found") {
    req.resume();
    return sendReply(res, unroutedReply(match, method, path));
  }
  const request = await readLbRequest(req, url, match.params);
  if (!request.ok) {
    if (request.reply) sendReply(res, request.reply);
    return;
  }
  try {
    const out = await match.handler(request.input, request.ctx);
    sendJson(res, 200, out === undefined ? null : out);
  } catch (err) {
    const info = describeError(err);
    log(`${method} ${path} failed: ${info.error_traceback ?? info.error_message}`);
    sendJson(res, 500, { error: info.error_message });
  }
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
