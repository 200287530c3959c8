import { request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { LB_PAYLOAD_LIMIT } from "../shared/schemas/job.ts";
import { sendError } from "./http-util.ts";
import type { EmulatedEndpoint } from "./registry.ts";
import type { Supervisor } from "./supervisor.ts";

/**
 * Load-balancer traffic: `/lb/{endpointId}/{path}` is forwarded to one of the endpoint's LB workers
 * (the least busy ready one, starting one if none), as `https://{id}.api.runpod.ai/{path}` is on
 * RunPod. Like RunPod's balancer: 30 MB request limit, `X-Runpod-Worker-Id` on every response,
 * `{"error":"no workers available"}` when no worker becomes ready in time, and
 * `{"error":"not allowed for QB API"}` for a queue endpoint.
 */

/** How long a request waits for a worker (RunPod: 2 min). */
const WAIT_FOR_WORKER_MS = 120_000;
/** Per-request processing limit (RunPod: 5.5 min). */
const PROCESSING_TIMEOUT_MS = 330_000;

export async function proxyLb(
  supervisor: Supervisor,
  endpoint: EmulatedEndpoint,
  req: IncomingMessage,
  res: ServerResponse,
  pathAndQuery: string,
): Promise<void> {
  if (endpoint.type !== "LB") {
    req.resume();
    return sendError(res, 400, "not allowed for QB API");
  }
  const length = Number(req.headers["content-length"] ?? 0);
  if (length > LB_PAYLOAD_LIMIT) {
    req.resume();
    return sendError(
      res,
      413,
      `request body exceeds the ${LB_PAYLOAD_LIMIT / 1024 / 1024} MB limit of load-balanced endpoints`,
    );
  }
  const none = supervisor.noWorkersNote(endpoint.id);
  if (none) {
    req.resume();
    return sendError(res, 503, `no workers available: ${none}`);
  }
  const found = await supervisor.lbWorker(endpoint.id, WAIT_FOR_WORKER_MS);
  if (found && "error" in found) {
    req.resume();
    return sendError(res, 503, `the endpoint's workers failed to load their code: ${found.error}`);
  }
  const worker = found;
  if (!worker || worker.port === undefined) {
    req.resume();
    return sendError(res, 503, "no workers available");
  }
  worker.inflight++;
  worker.lastActive = Date.now();
  const headers = { ...req.headers };
  delete headers.host;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    worker.inflight--;
    worker.lastActive = Date.now();
  };
  res.on("close", finish);
  // Settles when the answer is handed over; a throw in a callback rejects it, for the server's
  // request guard (serve-safely.ts) to answer 500 rather than the process dying.
  await new Promise<void>((resolve, reject) => {
    const upstream = httpRequest(
      {
        host: "127.0.0.1",
        port: worker.port,
        method: req.method,
        path: pathAndQuery,
        headers,
        timeout: PROCESSING_TIMEOUT_MS,
      },
      (up) => {
        try {
          res.writeHead(up.statusCode ?? 502, { ...up.headers, "x-runpod-worker-id": worker.id });
          up.pipe(res);
          resolve();
        } catch (err) {
          up.destroy();
          reject(err);
        }
      },
    );
    upstream.on("timeout", () => upstream.destroy(new Error("processing timeout")));
    upstream.on("error", (err) => {
      finish();
      if (!res.headersSent) sendError(res, 502, `worker ${worker.id} failed: ${err.message}`);
      else res.destroy();
      resolve();
    });
    req.pipe(upstream);
  });
}
