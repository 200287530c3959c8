import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FlashError } from "../shared/errors.ts";
import { pathOf, queryOf, unroutedReply } from "../shared/http/reply.ts";
import { Router } from "../shared/http/router.ts";
import { builtFile } from "../shared/package-root.ts";
import type { QueueTransport } from "../shared/queue-transport.ts";
import { readBody } from "../shared/read-body.ts";
import {
  type AllowedHosts,
  createRequestGuard,
  malformedPathRefusal,
  nonJsonBodyRefusal,
} from "../shared/request-guard.ts";
import { secretMatches } from "../shared/secret-compare.ts";
import { serveSafely } from "../shared/serve-safely.ts";
import { type ServerTimeouts, timeoutServerOptions } from "../shared/server-timeouts.ts";
import { ARTIFACT_ROUTES } from "./graphql/artifacts.ts";
import { createGraphqlHandler, createUploadHandler, flashStoreOf } from "./graphql/index.ts";
import { requestKey, sendError, sendJson } from "./http-util.ts";
import { runnableImages } from "./images.ts";
import { JobStore } from "./jobs.ts";
import { proxyLb } from "./lb-proxy.ts";
import { createLocalQueue, type QueueServer } from "./local-queue.ts";
import { httpQueueRequest, serveQueueApi } from "./queue-api.ts";
import { Registry } from "./registry.ts";
import { Supervisor } from "./supervisor.ts";
import { handleWorkerProtocol } from "./worker-protocol.ts";

/**
 * The embedded RunPod emulator: one node:http origin serving RunPod's control plane (`POST /graphql`,
 * artifact upload/download), the queue API (`/v2/{endpointId}/...`), the worker protocol its local
 * workers poll (also under `/v2/{endpointId}/`, see worker-protocol.ts) and load-balancer traffic
 * (`/lb/{endpointId}/{path}`). Workers are real processes running the Flash worker runtime
 * (supervisor.ts). Everything is in memory: endpoints, templates, jobs and results are gone when it
 * closes. Point the SDK and CLI at it with `RUNPOD_API_URL=<url>`.
 */

export interface EmulatorOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind. @default "127.0.0.1" */
  host?: string;
  /** Accept only this API key; by default any non-empty key is accepted (Bearer header or `api_key` query). */
  apiKey?: string;
  /**
   * Host names answered besides localhost, IP addresses and `host` (`--allowed-hosts`; a leading
   * dot allows subdomains), or `"all"`. See request-guard.ts.
   */
  allowedHosts?: AllowedHosts;
  /** How long a client may take to send a request's headers and body (tests shorten it). */
  timeouts?: ServerTimeouts;
  /** Receives log lines (worker output, scaling, warnings). Default: dropped. */
  log?: (line: string) => void;
  /** Worker runtime entry; default: `dist/runtime/worker.js` of this package. */
  workerEntry?: string;
  /**
   * How long results stay readable after a job ends. Default: RunPod's (30 min after `/run`, 1 min
   * after `/runsync`); shorter values are for tests.
   */
  retention?: { runMs: number; runsyncMs: number };
  /** FLASH_CACHE_DIR of the workers (bundle and npm caches); default: `FLASH_CACHE_DIR`, else the runtime's default. */
  cacheDir?: string;
  /**
   * Live endpoints' workers run this package's runtime directly rather than their template's start
   * command (`flash run --local`: no runtime build to unpack per worker). Default false.
   */
  fastLiveWorkers?: boolean;
}

export interface Emulator {
  /** Origin, e.g. `http://127.0.0.1:8787`: the value for `RUNPOD_API_URL`. */
  readonly url: string;
  readonly port: number;
  /** The in-memory account; tests create endpoints through it (`saveTemplate`, `saveEndpoint`). */
  readonly registry: Registry;
  readonly jobs: JobStore;
  readonly supervisor: Supervisor;
  /**
   * The queue API (`/v2/{endpointId}/run`, `runsync`, `status`, ...) for calls this process makes to
   * this emulator: served by the same handlers as over HTTP, with the same answers, without a socket
   * (the queue client's `transport` option).
   */
  readonly localQueue: QueueTransport;
  /** Stops every worker process, then the server. */
  close(): Promise<void>;
}

/** Body limit of `POST /graphql`. */
const GRAPHQL_LIMIT = 10 * 1024 * 1024;

/** Starts an emulator; resolves once it listens. */
export async function createEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? "127.0.0.1";
  const log = options.log ?? (() => {});
  const workerEntry = options.workerEntry ?? defaultWorkerEntry();
  const registry = new Registry();
  const workerKey = randomBytes(24).toString("hex");
  // One answer, for the supervisor and the control plane's warning, to "can the emulator run this image?".
  const runsImage = runnableImages();
  const workDir = mkdtempSync(join(tmpdir(), "flash-emulator-"));
  let origin = "";
  const workerOrigin = () => origin;

  const supervisor = new Supervisor({
    registry,
    origin: workerOrigin,
    workerKey,
    workerEntry,
    cacheDir: options.cacheDir ?? (process.env.FLASH_CACHE_DIR || undefined),
    artifactPathFor: (endpoint) => flashStoreOf(registry).artifactPathForEndpoint(endpoint),
    fastLive: options.fastLiveWorkers ?? false,
    workDir,
    log,
  });
  const store = new JobStore(
    {
      queued: (endpointId) => supervisor.reconcile(endpointId),
      started: (job) => supervisor.jobStarted(job),
      ended: (job, workerId) => supervisor.jobEnded(job, workerId),
      stop: (workerId, jobId) => supervisor.requestStop(workerId, jobId),
      canTake: (workerId) => supervisor.canTake(workerId),
      webhook: (url, body) => void deliverWebhook(url, body, log),
    },
    options.retention,
  );
  supervisor.attach(store);

  let publicUrl = "";
  const graphql = createGraphqlHandler(registry, {
    apiKey: options.apiKey,
    origin: () => publicUrl,
    isKnownImage: runsImage,
    onWarning: (message) => log(message),
  });
  const artifacts = createUploadHandler(registry);

  const authorized = (req: IncomingMessage, query: URLSearchParams | undefined): boolean => {
    const key = requestKey(req, query);
    return key !== undefined && (options.apiKey === undefined || secretMatches(key, options.apiKey));
  };

  const queueDeps = { registry, store, supervisor, apiKey: options.apiKey };
  const serveQueue: QueueServer = (endpointId, action, rest, request) =>
    serveQueueApi(queueDeps, endpointId, action, rest, request);

  type Handler = (
    req: IncomingMessage,
    res: ServerResponse,
    params: Record<string, string>,
    raw: string,
  ) => unknown;
  const v2: Handler = async (req, res, params, raw) => {
    const { endpointId, action, rest } = params as { endpointId: string; action: string; rest: string };
    const restParts = rest === "" ? [] : rest.split("/");
    const served = handleWorkerProtocol(
      { registry, store, supervisor, workerKey, apiKey: options.apiKey },
      req,
      res,
      endpointId,
      action,
      restParts,
    );
    if (served) return served;
    // Parsed only past the worker protocol, which has no use for it (its polls are the hot path).
    const reply = await serveQueue(
      endpointId,
      action,
      restParts,
      httpQueueRequest(req, pathOf(raw), queryOf(raw)),
    );
    return sendJson(res, reply.status, reply.body);
  };
  const lb: Handler = (req, res, params, raw) => {
    if (!authorized(req, queryOf(raw))) return unauthorized(req, res);
    const endpoint = registry.endpoints.get(params.endpointId!);
    if (!endpoint) {
      req.resume();
      return sendError(res, 404, `endpoint ${params.endpointId} not found`);
    }
    // The rest of the URL as the client sent it (still encoded, query kept).
    const afterId = raw.indexOf("/", "/lb/".length);
    const q = raw.indexOf("?");
    const rest =
      afterId < 0 || (q >= 0 && afterId > q) ? `/${q < 0 ? "" : raw.slice(q)}` : raw.slice(afterId);
    return proxyLb(supervisor, endpoint, req, res, rest);
  };
  const graphqlRoute: Handler = async (req, res) => {
    const { body, tooLarge } = await readBody(req, GRAPHQL_LIMIT);
    if (tooLarge) return sendJson(res, 413, { errors: [{ message: "request body too large" }] });
    const notJson = nonJsonBodyRefusal(req.headers["content-type"], body.length);
    if (notJson) return sendJson(res, notJson.status, { errors: [{ message: notJson.message }] });
    return graphql(req, res, body);
  };
  const artifactRoute: Handler = async (req, res) => {
    if (!(await artifacts(req, res))) sendError(res, 404, `no such route: ${pathOf(req.url ?? "/")}`);
  };
  const root: Handler = (req, res) => {
    req.resume();
    sendJson(res, 200, {
      name: "flash emulator",
      graphql: `${publicUrl}/graphql`,
      queue: `${publicUrl}/v2/{endpointId}/run`,
      loadBalancer: `${publicUrl}/lb/{endpointId}/{path}`,
    });
  };
  const ANY = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
  // One table of the shared routing core (src/shared/http/router.ts): RunPod's queue API and the
  // worker protocol under /v2, LB traffic under /lb, the control plane, artifact transfers.
  const router = new Router<Handler>([
    { method: "GET", path: "/", handler: root },
    { method: "POST", path: "/graphql", handler: graphqlRoute },
    { method: "GET", path: "/graphql", handler: graphqlRoute },
    ...["GET", "POST"].map((method) => ({ method, path: "/v2/{endpointId}/{action}/{rest*}", handler: v2 })),
    ...ANY.map((method) => ({ method, path: "/lb/{endpointId}/{rest*}", handler: lb })),
    ...ANY.flatMap((method) => [
      { method, path: `${ARTIFACT_ROUTES.upload}{key*}`, handler: artifactRoute },
      { method, path: `${ARTIFACT_ROUTES.download}{key*}`, handler: artifactRoute },
    ]),
  ]);

  const handle = (req: IncomingMessage, res: ServerResponse): unknown => {
    const raw = req.url ?? "/";
    const path = pathOf(raw);
    const malformed = malformedPathRefusal(path);
    if (malformed) {
      req.resume();
      return sendError(res, malformed.status, malformed.message);
    }
    const method = req.method ?? "GET";
    const match = router.match(method, path);
    if (match.kind === "found") return match.handler(req, res, match.params, raw);
    req.resume();
    const reply = unroutedReply(match, method, path);
    sendJson(res, reply.status, reply.body, reply.headers);
  };

  const guard = createRequestGuard({ boundHost: host, allowedHosts: options.allowedHosts });
  // The timeouts bound receiving a request (headers and body), not answering it: long polls (20 s),
  // runsync and status-sync waits (up to 300 s) and streamed LB answers are not cut by them.
  const server = createServer(
    timeoutServerOptions(options.timeouts),
    serveSafely(
      (req, res) => {
        const refused = guard(req);
        if (refused) {
          req.resume();
          return sendError(res, refused.status, refused.message);
        }
        return handle(req, res);
      },
      {
        label: "emulator error",
        onError: (err, req) =>
          log(
            `emulator error on ${req.method} ${req.url}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
          ),
      },
    ),
  );
  server.keepAliveTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        err.code === "EADDRINUSE"
          ? new FlashError("USAGE", `port ${options.port} on ${host} is already in use.`, {
              hint: "Pick another one with --port.",
            })
          : err,
      ),
    );
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const wildcard = host === "0.0.0.0" || host === "::" || host === "";
  const shown = host.includes(":") ? `[${host}]` : host;
  publicUrl = `http://${wildcard ? "127.0.0.1" : shown}:${port}`;
  origin = publicUrl;
  log(`emulator listening on ${publicUrl}`);

  let closing: Promise<void> | undefined;
  return {
    url: publicUrl,
    port,
    registry,
    jobs: store,
    supervisor,
    localQueue: createLocalQueue(serveQueue),
    close() {
      closing ??= (async () => {
        await supervisor.close();
        store.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        flashStoreOf(registry).close();
        rmSync(workDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

function unauthorized(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  sendError(res, 401, "Unauthorized: send an API key as Authorization: Bearer <key> or ?api_key=<key>");
}

async function deliverWebhook(url: string, body: unknown, log: (line: string) => void): Promise<void> {
  // RunPod: POST the /status payload; must answer 200; retried up to 2 more times, 10 s apart.
  for (let attempt = 0; attempt < 3; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 10_000).unref());
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      if (res.status === 200) return;
    } catch {
      // retried below
    }
  }
  log(`webhook ${url} did not answer 200 after 3 attempts`);
}

/** `dist/runtime/worker.js` of the runpod-flash package this module belongs to. */
function defaultWorkerEntry(): string {
  return builtFile("runtime", "worker.js");
}
