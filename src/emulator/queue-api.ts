import type { IncomingMessage, ServerResponse } from "node:http";
import {
  isTerminal,
  RUN_PAYLOAD_LIMIT,
  RUNSYNC_PAYLOAD_LIMIT,
  RUNSYNC_WAIT,
  RunRequest,
} from "../shared/schemas/job.ts";
import { intParam, parseJson, readBody, sendError, sendJson } from "./http-util.ts";
import { DEFAULT_EXECUTION_TIMEOUT_MS, type JobStore } from "./jobs.ts";
import type { EmulatedEndpoint } from "./registry.ts";
import type { Supervisor } from "./supervisor.ts";

/**
 * RunPod's queue API for one endpoint (research/runpod-api.md section 1), served at
 * `/v2/{endpointId}/{action}`: run, runsync, status, status-sync, stream, cancel, retry, purge-queue,
 * health. Shapes, states and limits as RunPod's; errors as `{"error": "<message>"}` with 400, 404,
 * 405 or 413.
 */

const STATUS_SYNC_WAIT = { min: 0, max: 300_000, default: 90_000 };
const STREAM_WAIT = { min: 0, max: 300_000, default: 5_000 };

export interface QueueApiDeps {
  store: JobStore;
  supervisor: Supervisor;
}

type Handler = (ctx: {
  deps: QueueApiDeps;
  endpoint: EmulatedEndpoint;
  req: IncomingMessage;
  res: ServerResponse;
  jobId: string | undefined;
  query: URLSearchParams | undefined;
}) => Promise<void> | void;

interface Route {
  methods: string[];
  needsJob: boolean;
  handle: Handler;
}

const routes: Record<string, Route> = {
  run: { methods: ["POST"], needsJob: false, handle: (c) => submit(c, false) },
  runsync: { methods: ["POST"], needsJob: false, handle: (c) => submit(c, true) },
  status: { methods: ["GET", "POST"], needsJob: true, handle: status },
  "status-sync": { methods: ["GET", "POST"], needsJob: true, handle: statusSync },
  stream: { methods: ["GET", "POST"], needsJob: true, handle: stream },
  cancel: { methods: ["POST"], needsJob: true, handle: cancel },
  retry: { methods: ["POST"], needsJob: true, handle: retry },
  "purge-queue": { methods: ["POST"], needsJob: false, handle: purge },
  health: { methods: ["GET"], needsJob: false, handle: health },
};

/** Serves a queue route; false when `action` is not one. */
export function handleQueueApi(
  deps: QueueApiDeps,
  endpoint: EmulatedEndpoint,
  req: IncomingMessage,
  res: ServerResponse,
  action: string,
  rest: string[],
  query: URLSearchParams | undefined,
): boolean {
  const route = routes[action];
  if (!route) return false;
  if (!route.methods.includes(req.method ?? "")) {
    req.resume();
    sendError(res, 405, `${req.method} is not allowed on /${action}; use ${route.methods.join(" or ")}`);
    return true;
  }
  if (endpoint.type === "LB") {
    req.resume();
    sendError(
      res,
      400,
      `not allowed for LB endpoint: ${endpoint.id} is load-balanced; call /lb/${endpoint.id}/<path>`,
    );
    return true;
  }
  const jobId = rest[0] ? decodeURIComponent(rest[0]) : undefined;
  if (route.needsJob && !jobId) {
    req.resume();
    sendError(res, 400, `missing job id: /${action}/{jobId}`);
    return true;
  }
  if (rest.length > (route.needsJob ? 1 : 0)) {
    req.resume();
    sendError(res, 404, `no such route: /v2/${endpoint.id}/${[action, ...rest].join("/")}`);
    return true;
  }
  void Promise.resolve(route.handle({ deps, endpoint, req, res, jobId, query })).catch((err: Error) =>
    sendError(res, 500, `emulator error: ${err.message}`),
  );
  return true;
}

async function submit(c: Parameters<Handler>[0], sync: boolean): Promise<void> {
  const limit = sync ? RUNSYNC_PAYLOAD_LIMIT : RUN_PAYLOAD_LIMIT;
  const { body, tooLarge } = await readBody(c.req, limit);
  if (tooLarge) {
    return sendError(
      c.res,
      413,
      `request body exceeds the ${limit / 1024 / 1024} MB limit of /${sync ? "runsync" : "run"}`,
    );
  }
  const parsed = parseJson(body);
  if (!parsed.ok) return sendError(c.res, 400, 'request body must be JSON, e.g. {"input": {...}}');
  if (typeof parsed.value !== "object" || parsed.value === null || Array.isArray(parsed.value)) {
    return sendError(c.res, 400, "request body must be a JSON object with an input field");
  }
  const request = RunRequest.safeParse(parsed.value);
  if (!request.success) {
    const issue = request.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
    return sendError(c.res, 400, `${where}${issue?.message ?? "invalid request"}`);
  }
  const endpointTimeoutMs =
    c.endpoint.executionTimeoutMs === undefined || c.endpoint.executionTimeoutMs === null
      ? DEFAULT_EXECUTION_TIMEOUT_MS
      : c.endpoint.executionTimeoutMs;
  const job = c.deps.store.submit(c.endpoint.id, request.data, { sync, endpointTimeoutMs });
  // RunPod always answers /run with IN_QUEUE, even when a worker picks the job up at once.
  if (!sync) return sendJson(c.res, 200, { id: job.id, status: "IN_QUEUE" });
  const wait = intParam(c.query, "wait", RUNSYNC_WAIT);
  await c.deps.store.untilTerminal(job, wait, isTerminal);
  sendJson(c.res, 200, c.deps.store.view(job));
}

function findJob(c: Parameters<Handler>[0]) {
  const job = c.deps.store.get(c.endpoint.id, c.jobId!);
  if (!job) sendError(c.res, 404, `job ${c.jobId} not found (unknown, or its result expired)`);
  return job;
}

function status(c: Parameters<Handler>[0]): void {
  c.req.resume();
  const job = findJob(c);
  if (job) sendJson(c.res, 200, c.deps.store.view(job));
}

async function statusSync(c: Parameters<Handler>[0]): Promise<void> {
  c.req.resume();
  const job = findJob(c);
  if (!job) return;
  await c.deps.store.untilTerminal(job, intParam(c.query, "wait", STATUS_SYNC_WAIT), isTerminal);
  sendJson(c.res, 200, c.deps.store.view(job));
}

async function stream(c: Parameters<Handler>[0]): Promise<void> {
  c.req.resume();
  const job = findJob(c);
  if (!job) return;
  // Long poll until there is something new to deliver (a chunk or the end).
  if (job.stream.length === job.streamSent && !isTerminal(job.status)) {
    await c.deps.store.nextChange(job, intParam(c.query, "wait", STREAM_WAIT));
  }
  const chunks = c.deps.store.drainStream(job).map((output) => ({ output }));
  sendJson(c.res, 200, { status: job.status, stream: chunks });
}

function cancel(c: Parameters<Handler>[0]): void {
  c.req.resume();
  const job = findJob(c);
  if (!job) return;
  c.deps.store.cancel(job);
  sendJson(c.res, 200, c.deps.store.view(job));
}

function retry(c: Parameters<Handler>[0]): void {
  c.req.resume();
  const job = findJob(c);
  if (!job) return;
  if (!c.deps.store.retry(job)) {
    sendError(c.res, 400, `job ${job.id} is ${job.status}; only FAILED or TIMED_OUT jobs can be retried`);
    return;
  }
  sendJson(c.res, 200, { id: job.id, status: "IN_QUEUE" });
}

function purge(c: Parameters<Handler>[0]): void {
  c.req.resume();
  sendJson(c.res, 200, { removed: c.deps.store.purge(c.endpoint.id), status: "completed" });
}

function health(c: Parameters<Handler>[0]): void {
  c.req.resume();
  sendJson(c.res, 200, {
    jobs: c.deps.store.counts(c.endpoint.id),
    workers: c.deps.supervisor.workerCounts(c.endpoint.id),
  });
}
