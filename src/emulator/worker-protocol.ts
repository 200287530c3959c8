import type { IncomingMessage, ServerResponse } from "node:http";
import { CARRIER_JSON_DEPTH, parseJsonLimited } from "../shared/json-depth.ts";
import { readBody } from "../shared/read-body.ts";
import { nonJsonBodyRefusal } from "../shared/request-guard.ts";
import { JobDoneBody, JobStreamBody } from "../shared/schemas/job.ts";
import { secretMatches } from "../shared/secret-compare.ts";
import { intParam, keyAccepted, keyOf, sendError, sendJson } from "./http-util.ts";
import type { Job, JobStore } from "./jobs.ts";
import type { Registry } from "./registry.ts";
import type { Supervisor } from "./supervisor.ts";

/**
 * The worker side of the queue, under the same origin, in the URL layout RunPod's production workers
 * see (research/runpod-api.md section 3.1), so a RunPod Python worker can poll it too:
 *
 *     GET  /v2/{ep}/job-take/{worker}?job_in_progress=0|1         long poll: 200 {id, input} or 204
 *     GET  /v2/{ep}/job-take-batch/{worker}?batch_size=N          long poll: 200 [{id, input}, ...] (up to N) or 204
 *     POST /v2/{ep}/job-done/{worker}/{job}?isStream=false        {output} | {error} | {status:"IN_PROGRESS", output}
 *     POST /v2/{ep}/job-stream/{worker}/{job}                     {output}: one partial result
 *     GET  /v2/{ep}/job-stop/{worker}                             long poll: 200 {jobsToStop: [...]} or 204
 *     GET  /v2/{ep}/ping/{worker}?job_id=a,b                      heartbeat
 *
 * Workers authenticate with their RUNPOD_AI_API_KEY, raw (as RunPod's Python worker sends it) or as
 * Bearer: the emulator's internal worker key (the workers it starts), or the key its users have, so
 * a worker you start yourself can poll too: with `--api-key KEY` that key, else any non-empty key.
 * A worker id the supervisor did not start is an outside worker (supervisor.ts `contact`).
 */

/** How long job-take and job-stop hold a poll open before answering 204 (workers re-poll). */
export const POLL_HOLD_MS = 20_000;
/**
 * Most jobs one job-take-batch hands out. runpod-python asks for its free slots (its concurrency
 * minus the jobs it holds), so a larger ask is a bug or a very wide worker; either way it polls again.
 */
export const MAX_BATCH_SIZE = 64;
/** Body limit of job-done / job-stream (RunPod logs a tip above 20 MB; we accept some headroom). */
const RESULT_LIMIT = 64 * 1024 * 1024;

export interface WorkerProtocolDeps {
  registry: Registry;
  store: JobStore;
  supervisor: Supervisor;
  /** The key of the workers the emulator starts. */
  workerKey: string;
  /** The emulator's `--api-key`; undefined: any non-empty key. */
  apiKey: string | undefined;
}

const ROUTES = new Set(["job-take", "job-take-batch", "job-done", "job-stream", "job-stop", "ping"]);

/** True for the actions of `/v2/{ep}/{action}/...` that belong to the worker protocol. */
export function isWorkerProtocolAction(action: string): boolean {
  return ROUTES.has(action);
}

/**
 * Handles a worker-protocol route: false when `action` is not one, else a promise that settles once
 * the request is answered (a failure in answering rejects it, for the server to answer 500).
 */
export function handleWorkerProtocol(
  deps: WorkerProtocolDeps,
  req: IncomingMessage,
  res: ServerResponse,
  endpointId: string,
  action: string,
  rest: string[],
): false | Promise<void> {
  if (!ROUTES.has(action)) return false;
  // No query parameter: workers send their key in the header, and polls are the hot path.
  const key = keyOf(req.headers.authorization, undefined);
  if (!(key !== undefined && secretMatches(key, deps.workerKey)) && !keyAccepted(key, deps.apiKey)) {
    req.resume();
    sendError(
      res,
      401,
      `worker protocol: ${key === undefined ? "missing" : "wrong"} API key (the worker's RUNPOD_AI_API_KEY)`,
    );
    return ANSWERED;
  }
  if (!deps.registry.endpoints.has(endpointId)) {
    sendError(res, 404, `endpoint ${endpointId} not found`);
    return ANSWERED;
  }
  const workerId = rest[0] ? decodeURIComponent(rest[0]) : "";
  if (!workerId) {
    sendError(res, 400, "missing worker id in the path");
    return ANSWERED;
  }
  const { store, supervisor } = deps;
  if (!supervisor.contact(endpointId, workerId)) {
    req.resume();
    sendError(res, 410, `worker ${workerId} has been stopped`);
    return ANSWERED;
  }

  switch (action) {
    case "job-take":
    case "job-take-batch":
      return take(store, req, res, endpointId, workerId, action === "job-take-batch");
    case "job-stop":
      return stopPoll(supervisor, res, workerId);
    case "ping":
      sendJson(res, 200, {});
      return ANSWERED;
    case "job-done":
    case "job-stream":
      return result(deps, req, res, endpointId, workerId, action, rest[1] ? decodeURIComponent(rest[1]) : "");
  }
  return false;
}

const ANSWERED: Promise<void> = Promise.resolve();

/**
 * job-take: one job as an object. job-take-batch: up to `batch_size` (default 1, at most
 * {@link MAX_BATCH_SIZE}) as an array: the poll waits for the first, then takes what else is queued
 * right now, each through the store (so a worker being stopped or replaced gets none).
 */
async function take(
  store: JobStore,
  req: IncomingMessage,
  res: ServerResponse,
  endpointId: string,
  workerId: string,
  batch: boolean,
): Promise<void> {
  const size = batch ? batchSize(req.url) : 1;
  const { job, cancel } = store.take(endpointId, workerId, POLL_HOLD_MS);
  res.on("close", cancel);
  const first = await job;
  res.off("close", cancel);
  if (!first) return void res.writeHead(204).end();
  const jobs = [first];
  while (jobs.length < size) {
    const next = store.takeNow(endpointId, workerId);
    if (!next) break;
    jobs.push(next);
  }
  if (res.destroyed) {
    // The worker hung up as the jobs were handed over: it never got them, queue them again.
    for (const j of jobs) store.requeue(j);
    return;
  }
  const taken: string[] = [];
  for (const j of jobs) {
    try {
      taken.push(JSON.stringify({ id: j.id, input: j.input }));
    } catch (err) {
      // Input that cannot be serialised (submit refuses JSON nested too deep, so this is a bug) fails
      // its job rather than being handed out again and again.
      store.done(j, workerId, {
        error: `the job's input cannot be sent to a worker: ${(err as Error).message}`,
      });
    }
  }
  if (taken.length === 0) return void res.writeHead(204).end();
  const body = batch ? `[${taken.join(",")}]` : taken[0]!;
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** The `batch_size` of a job-take-batch URL, clamped to 1..{@link MAX_BATCH_SIZE}; 1 when absent. */
function batchSize(url: string | undefined): number {
  const q = url?.indexOf("?") ?? -1;
  const query = q < 0 ? undefined : new URLSearchParams(url!.slice(q + 1));
  return intParam(query, "batch_size", { min: 1, max: MAX_BATCH_SIZE, default: 1 });
}

async function stopPoll(supervisor: Supervisor, res: ServerResponse, workerId: string): Promise<void> {
  const { ids, cancel } = supervisor.stopSignals(workerId, POLL_HOLD_MS);
  res.on("close", cancel);
  const list = await ids;
  res.off("close", cancel);
  if (list.length === 0) return void res.writeHead(204).end();
  sendJson(res, 200, { jobsToStop: list });
}

async function result(
  deps: WorkerProtocolDeps,
  req: IncomingMessage,
  res: ServerResponse,
  endpointId: string,
  workerId: string,
  action: "job-done" | "job-stream",
  jobId: string,
): Promise<void> {
  const { store, supervisor } = deps;
  const { body, tooLarge } = await readBody(req, RESULT_LIMIT);
  if (tooLarge) return sendError(res, 413, "result body too large");
  const job = store.get(endpointId, jobId);
  if (!job) return sendError(res, 404, `job ${jobId} not found`);
  // RunPod's Python worker posts its JSON results as form-urlencoded (research 3.2).
  const notJson = nonJsonBodyRefusal(req.headers["content-type"], body.length, { alsoForm: true });
  if (notJson) return sendError(res, notJson.status, `${action}: ${notJson.message}`);
  const parsed = parseJsonLimited(body, CARRIER_JSON_DEPTH);
  if (!parsed.ok && parsed.reason === "depth") {
    // Kept, such a result would break every answer that carries it: the job fails instead.
    const message = `the function's ${action === "job-done" ? "result" : "streamed output"} cannot be returned: ${parsed.message}`;
    store.done(job, workerId, { error: message });
    return sendError(res, 400, `${action}: ${message}`);
  }
  if (!parsed.ok) return sendError(res, 400, `${action}: body is not JSON`);
  if (action === "job-stream") return stream(store, job, workerId, parsed.value, res);
  const done = JobDoneBody.safeParse(parsed.value);
  if (!done.success)
    return sendError(res, 400, `job-done: ${done.error.issues[0]?.message ?? "invalid body"}`);
  // A result for a job that already ended (cancelled, timed out) is accepted and dropped.
  store.done(job, workerId, done.data);
  if (done.data.stopPod) supervisor.recycle(workerId);
  sendJson(res, 200, {});
}

function stream(store: JobStore, job: Job, workerId: string, value: unknown, res: ServerResponse): void {
  const chunk = JobStreamBody.safeParse(value);
  if (!chunk.success) {
    sendError(res, 400, "job-stream: body must be {output}");
    return;
  }
  store.streamChunk(job, workerId, chunk.data.output);
  sendJson(res, 200, {});
}
