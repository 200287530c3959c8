import type { IncomingMessage } from "node:http";
import { unroutedReply } from "../shared/http/reply.ts";
import { Router } from "../shared/http/router.ts";
import { CARRIER_JSON_DEPTH, parseJsonLimited } from "../shared/json-depth.ts";
import { jobNotFoundMessage, QUEUE_OPERATIONS, type QueueOperation } from "../shared/queue-operations.ts";
import { readBody } from "../shared/read-body.ts";
import { nonJsonBodyRefusal } from "../shared/request-guard.ts";
import {
  isTerminal,
  RUN_PAYLOAD_LIMIT,
  RUNSYNC_PAYLOAD_LIMIT,
  RUNSYNC_WAIT,
  RunRequest,
} from "../shared/schemas/job.ts";
import { intParam, keyAccepted, keyOf } from "./http-util.ts";
import { DEFAULT_EXECUTION_TIMEOUT_MS, type Job, type JobStore } from "./jobs.ts";
import type { EmulatedEndpoint, Registry } from "./registry.ts";
import type { Supervisor } from "./supervisor.ts";

/**
 * RunPod's queue API (research/runpod-api.md section 1), served at `/v2/{endpointId}/{action}`: run,
 * runsync, status, status-sync, stream, cancel, retry, purge-queue, health. Shapes, states and
 * limits as RunPod's; errors as `{"error": "<message>"}` with 400, 401, 404, 405 or 413.
 *
 * Written against {@link QueueRequest} rather than node:http, so the same code answers requests from
 * the HTTP server and from the process the emulator runs in (`Emulator.localQueue`, no socket).
 */

const STATUS_SYNC_WAIT = { min: 0, max: 300_000, default: 90_000 };
const STREAM_WAIT = { min: 0, max: 300_000, default: 5_000 };

export interface QueueApiDeps {
  registry: Registry;
  store: JobStore;
  supervisor: Supervisor;
  /** The one accepted key; undefined accepts any non-empty key. */
  apiKey: string | undefined;
}

/** A queue API request, whatever carried it. */
export interface QueueRequest {
  method: string;
  /** The URL path (for messages). */
  path: string;
  /** The `Authorization` header. */
  authorization: string | undefined;
  /** The `Content-Type` header. */
  contentType: string | undefined;
  query: URLSearchParams | undefined;
  /** Reads the body; `tooLarge` when it is over `limit` bytes. */
  readBody(limit: number): Promise<{ body: Buffer | string; tooLarge: boolean }>;
  /** The route has no use for the body: let it go. */
  discardBody(): void;
}

/** The answer: an HTTP status and a JSON value. */
export interface QueueReply {
  status: number;
  body: unknown;
}

/** A queue request arriving on the emulator's HTTP server. */
export function httpQueueRequest(
  req: IncomingMessage,
  path: string,
  query: URLSearchParams | undefined,
): QueueRequest {
  return {
    method: req.method ?? "",
    path,
    authorization: req.headers.authorization,
    contentType: req.headers["content-type"],
    query,
    readBody: (limit) => readBody(req, limit),
    discardBody: () => req.resume(),
  };
}

interface Ctx {
  deps: QueueApiDeps;
  endpoint: EmulatedEndpoint;
  request: QueueRequest;
  jobId: string | undefined;
}

type Handler = (c: Ctx) => Promise<QueueReply> | QueueReply;

const handlers: Record<QueueOperation, Handler> = {
  run: (c) => submit(c, false),
  runsync: (c) => submit(c, true),
  status,
  "status-sync": statusSync,
  stream,
  cancel,
  retry,
  "purge-queue": purge,
  health,
};

/** The queue API's routes under `/v2/{endpointId}`, from the one table of operations. */
const router = new Router<QueueOperation>(
  Object.entries(QUEUE_OPERATIONS).flatMap(([op, info]) =>
    info.methods.map((method) => ({
      method,
      path: `/${op}${info.needsJob ? "/{jobId}" : ""}`,
      handler: op as QueueOperation,
    })),
  ),
);

const error = (status: number, message: string): QueueReply => ({ status, body: { error: message } });

/**
 * Serves `/v2/{endpointId}/{action}/{...rest}` (anything but the worker protocol): API key, endpoint,
 * route, method, then the route's handler. Never rejects: a failure is a 500 reply.
 */
export async function serveQueueApi(
  deps: QueueApiDeps,
  endpointId: string,
  action: string,
  rest: readonly string[],
  request: QueueRequest,
): Promise<QueueReply> {
  if (!keyAccepted(keyOf(request.authorization, request.query), deps.apiKey)) {
    request.discardBody();
    return error(401, "Unauthorized: send an API key as Authorization: Bearer <key> or ?api_key=<key>");
  }
  const endpoint = deps.registry.endpoints.get(endpointId);
  if (!endpoint) {
    request.discardBody();
    return error(404, `endpoint ${endpointId} not found`);
  }
  if (endpoint.type === "LB") {
    request.discardBody();
    return error(
      400,
      `not allowed for LB endpoint: ${endpoint.id} is load-balanced; call /lb/${endpoint.id}/<path>`,
    );
  }
  const match = router.match(request.method, `/${[action, ...rest].join("/")}`);
  if (match.kind !== "found") {
    request.discardBody();
    // A job operation without its id names what is missing rather than a bare 404.
    const info = QUEUE_OPERATIONS[action as QueueOperation];
    if (
      match.kind === "none" &&
      Object.hasOwn(QUEUE_OPERATIONS, action) &&
      info.needsJob &&
      rest.length === 0
    ) {
      return error(400, `missing job id: /${action}/{jobId}`);
    }
    const reply = unroutedReply(match, request.method, request.path);
    return { status: reply.status, body: reply.body };
  }
  const jobId = match.params.jobId;
  try {
    return await handlers[match.handler]({ deps, endpoint, request, jobId });
  } catch (err) {
    return error(500, `emulator error: ${(err as Error).message}`);
  }
}

async function submit(c: Ctx, sync: boolean): Promise<QueueReply> {
  const limit = sync ? RUNSYNC_PAYLOAD_LIMIT : RUN_PAYLOAD_LIMIT;
  const { body, tooLarge } = await c.request.readBody(limit);
  if (tooLarge) {
    return error(
      413,
      `request body exceeds the ${limit / 1024 / 1024} MB limit of /${sync ? "runsync" : "run"}`,
    );
  }
  const notJson = nonJsonBodyRefusal(c.request.contentType, body.length);
  if (notJson) return error(notJson.status, notJson.message);
  const parsed = parseJsonLimited(body, CARRIER_JSON_DEPTH);
  if (!parsed.ok && parsed.reason === "depth") {
    return error(400, `request body refused: ${parsed.message}`);
  }
  if (!parsed.ok) return error(400, 'request body must be JSON, e.g. {"input": {...}}');
  if (typeof parsed.value !== "object" || parsed.value === null || Array.isArray(parsed.value)) {
    return error(400, "request body must be a JSON object with an input field");
  }
  const request = RunRequest.safeParse(parsed.value);
  if (!request.success) {
    const issue = request.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
    return error(400, `${where}${issue?.message ?? "invalid request"}`);
  }
  const endpointTimeoutMs =
    c.endpoint.executionTimeoutMs === undefined || c.endpoint.executionTimeoutMs === null
      ? DEFAULT_EXECUTION_TIMEOUT_MS
      : c.endpoint.executionTimeoutMs;
  const job = c.deps.store.submit(c.endpoint.id, request.data, { sync, endpointTimeoutMs });
  // RunPod always answers /run with IN_QUEUE, even when a worker picks the job up at once.
  if (!sync) return { status: 200, body: { id: job.id, status: "IN_QUEUE" } };
  const wait = intParam(c.request.query, "wait", RUNSYNC_WAIT);
  await c.deps.store.untilTerminal(job, wait, isTerminal);
  return { status: 200, body: c.deps.store.view(job) };
}

/** The job the route names. */
function findJob(c: Ctx): Job | undefined {
  return c.deps.store.get(c.endpoint.id, c.jobId!);
}

function noJob(c: Ctx): QueueReply {
  return error(404, jobNotFoundMessage(c.jobId!));
}

function status(c: Ctx): QueueReply {
  c.request.discardBody();
  const job = findJob(c);
  if (!job) return noJob(c);
  return { status: 200, body: c.deps.store.view(job) };
}

async function statusSync(c: Ctx): Promise<QueueReply> {
  c.request.discardBody();
  const job = findJob(c);
  if (!job) return noJob(c);
  await c.deps.store.untilTerminal(job, intParam(c.request.query, "wait", STATUS_SYNC_WAIT), isTerminal);
  return { status: 200, body: c.deps.store.view(job) };
}

async function stream(c: Ctx): Promise<QueueReply> {
  c.request.discardBody();
  const job = findJob(c);
  if (!job) return noJob(c);
  // Long poll until there is something new to deliver (a chunk or the end).
  if (job.stream.length === job.streamSent && !isTerminal(job.status)) {
    await c.deps.store.nextChange(job, intParam(c.request.query, "wait", STREAM_WAIT));
  }
  const chunks = c.deps.store.drainStream(job).map((output) => ({ output }));
  return { status: 200, body: { status: job.status, stream: chunks } };
}

function cancel(c: Ctx): QueueReply {
  c.request.discardBody();
  const job = findJob(c);
  if (!job) return noJob(c);
  c.deps.store.cancel(job);
  return { status: 200, body: c.deps.store.view(job) };
}

function retry(c: Ctx): QueueReply {
  c.request.discardBody();
  const job = findJob(c);
  if (!job) return noJob(c);
  if (!c.deps.store.retry(job)) {
    return error(400, `job ${job.id} is ${job.status}; only FAILED or TIMED_OUT jobs can be retried`);
  }
  return { status: 200, body: { id: job.id, status: "IN_QUEUE" } };
}

function purge(c: Ctx): QueueReply {
  c.request.discardBody();
  return { status: 200, body: { removed: c.deps.store.purge(c.endpoint.id), status: "completed" } };
}

function health(c: Ctx): QueueReply {
  c.request.discardBody();
  return {
    status: 200,
    body: {
      jobs: c.deps.store.counts(c.endpoint.id),
      workers: c.deps.supervisor.workerCounts(c.endpoint.id),
    },
  };
}
