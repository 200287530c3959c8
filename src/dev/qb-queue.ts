import type { IncomingMessage, ServerResponse } from "node:http";
import { isFlashError } from "../shared/errors.ts";
import { hasProtoKey } from "../shared/http/lb-request.ts";
import {
  JSON_HINT,
  type JsonBody,
  type Reply,
  readJsonBody,
  sendJsonText,
  sendReply,
} from "../shared/http/reply.ts";
import { MAX_JSON_DEPTH } from "../shared/json-depth.ts";
import { jobNotFoundMessage, QUEUE_OPERATIONS } from "../shared/queue-operations.ts";
import { readBody } from "../shared/read-body.ts";
import { parseJobError, RUN_PAYLOAD_LIMIT, RUNSYNC_PAYLOAD_LIMIT } from "../shared/schemas/job.ts";
import type { WorkerBundle } from "./bundle.ts";
import { liveJobBody, type QueueEndpoint } from "./execution.ts";
import type { JobOwners } from "./job-owners.ts";
import type { QbRoute } from "./routes.ts";
import { mapWorkerStack, withoutFlashFrames } from "./user-stack.ts";

/**
 * The queue API under each QB prefix of the dev server (SPEC section 4): every operation is sent
 * to the resource's endpoint (the embedded emulator's queue API under `--local`, the live endpoint
 * otherwise) and its answer passed on, so RunPod's semantics, bodies and status codes are the
 * endpoint's own, implemented once. The dev server adds only what a prefix means: a submission gets
 * the function's current bundle (the `__flash__` envelope), a job is found only under the prefix it
 * was submitted to, and a failed job's stack points at the user's `.ts` lines and is reported in
 * the terminal once.
 */

/** How 413 answers of QB submissions name their limit. */
export const QB_LIMIT_LABELS = {
  run: "10 MB, RunPod's limit for /run",
  runSync: "20 MB, RunPod's limit for /run_sync",
} as const;

export interface QbQueueDeps {
  /** The resource's endpoint on the session's target (started and provisioned on first use). */
  endpoint(route: QbRoute): Promise<QueueEndpoint>;
  /** The current bundle of a QB file. */
  bundleOf(file: string): Promise<WorkerBundle>;
  owners: JobOwners;
  /** Include the remote stack (mapped to the user's files) in failed jobs' answers. */
  showStacks: boolean;
  /** The project folder, which remote stacks are mapped into. */
  root: string;
  /** Reports a job that ended FAILED or TIMED_OUT (once per job). */
  reportFailure(route: QbRoute, message: string, stack: string | undefined): void;
}

/** Serves one request to a QB route; resolves once it is answered. */
export async function serveQbOperation(
  route: QbRoute,
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string>,
  url: string,
  deps: QbQueueDeps,
): Promise<void> {
  const q = url.indexOf("?");
  const search = q < 0 ? "" : url.slice(q);
  const operation = route.operation === "run_sync" ? "runsync" : route.operation;
  const info = QUEUE_OPERATIONS[operation];
  let body: string | undefined;
  let jobId: string | undefined;
  if (info.submits) {
    const submission = await submissionOf(req, route, deps);
    if (!submission.ok) {
      if (submission.reply) sendReply(res, submission.reply);
      return;
    }
    body = submission.body;
  } else {
    // Operations take no body (RunPod ignores one); it is read and dropped.
    if (req.method === "POST") await readBody(req, 64 * 1024);
    else req.resume();
    if (info.needsJob) {
      jobId = params.id!;
      const owner = deps.owners.get(jobId);
      if (owner && owner.base !== route.base) {
        return sendReply(res, { status: 404, body: { error: jobNotFoundMessage(jobId) } });
      }
    }
    if (req.method === "POST") body = "{}";
  }
  const endpoint = await deps.endpoint(route);
  const closed = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) closed.abort();
  };
  res.once("close", onClose);
  let answer: { status: number; text: string };
  try {
    answer = await endpoint.send({
      method: req.method === "GET" || req.method === "HEAD" ? "GET" : "POST",
      path: `/${operation}${jobId === undefined ? "" : `/${encodeURIComponent(jobId)}`}${search}`,
      body,
      signal: closed.signal,
    });
  } catch (err) {
    if (closed.signal.aborted) return;
    const message = isFlashError(err) ? err.message : (err as Error).message;
    return sendReply(res, {
      status: 502,
      body: { error: `The endpoint of ${route.base} did not answer: ${message}` },
    });
  } finally {
    res.off("close", onClose);
  }
  if (answer.status >= 200 && answer.status < 300) {
    const text = await shownAnswer(route, operation, answer.text, deps);
    return sendJsonText(res, answer.status, text);
  }
  sendJsonText(res, answer.status, answer.text);
}

/** The submission to send: the body's input in the function's envelope, other RunPod fields kept. */
async function submissionOf(
  req: IncomingMessage,
  route: QbRoute,
  deps: QbQueueDeps,
): Promise<{ ok: true; body: string } | { ok: false; reply: Reply | undefined }> {
  const sync = route.operation !== "run";
  const read: JsonBody = await readJsonBody(req, {
    limit: sync ? RUNSYNC_PAYLOAD_LIMIT : RUN_PAYLOAD_LIMIT,
    label: sync ? QB_LIMIT_LABELS.runSync : QB_LIMIT_LABELS.run,
    maxDepth: MAX_JSON_DEPTH,
  });
  if (!read.ok) return read;
  const value = read.value;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return refuse(`The body must be a JSON object. ${JSON_HINT}`);
  }
  if (read.text.includes("__proto__") && hasProtoKey(value)) {
    return refuse('The body must not contain a "__proto__" key.');
  }
  // A body without an `input` key is the input itself (PRD section 11); with one, its other fields
  // (webhook, policy, s3Config) are RunPod's and go along.
  const { input, ...rest } = Object.hasOwn(value, "input")
    ? (value as Record<string, unknown>)
    : { input: value };
  const bundle = await deps.bundleOf(route.resource.file);
  const body = liveJobBody(
    {
      file: route.resource.file,
      functionName: route.fn.name,
      bundle,
      dependencies: route.fn.dependencies,
      systemDependencies: route.fn.systemDependencies,
    },
    input === undefined ? "null" : JSON.stringify(input),
    rest,
  );
  return { ok: true, body };
}

function refuse(message: string): { ok: false; reply: Reply } {
  return { ok: false, reply: { status: 400, body: { error: message } } };
}

/**
 * What the client sees of a successful answer: a submitted job is recorded under this prefix, and
 * a failed one has its stack mapped to the user's files (and reported once).
 */
async function shownAnswer(
  route: QbRoute,
  operation: string,
  text: string,
  deps: QbQueueDeps,
): Promise<string> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return text;
  const job = value as Record<string, unknown>;
  const id = typeof job.id === "string" ? job.id : undefined;
  if (id && QUEUE_OPERATIONS[operation as keyof typeof QUEUE_OPERATIONS]?.submits)
    deps.owners.add(id, route.base);
  if (job.status !== "FAILED" && job.status !== "TIMED_OUT") return text;
  const owner = id ? deps.owners.get(id) : undefined;
  const remote = parseJobError(job.error);
  let stack = remote.stack;
  if (stack) {
    const bundle = await deps.bundleOf(route.resource.file).catch(() => undefined);
    stack = withoutFlashFrames(bundle ? mapWorkerStack(stack, bundle, deps.root) : stack);
    job.error = mappedError(job.error, stack);
    if (deps.showStacks) job.stack = stack;
  }
  if (owner && !owner.reported) {
    owner.reported = true;
    const message =
      job.error === undefined
        ? job.status === "TIMED_OUT"
          ? "the job timed out"
          : "the job failed"
        : remote.message;
    deps.reportFailure(route, message, stack);
  }
  return JSON.stringify(job);
}

/** The worker's error with its traceback replaced by the mapped one (the shape RunPod shows kept). */
function mappedError(error: unknown, stack: string): unknown {
  if (typeof error !== "string" || !error.startsWith("{")) return error;
  try {
    const parsed = JSON.parse(error) as Record<string, unknown>;
    if (typeof parsed.error_traceback !== "string") return error;
    return JSON.stringify({ ...parsed, error_traceback: stack });
  } catch {
    return error;
  }
}
