import { z } from "zod";

/**
 * Wire shapes of RunPod's queue API (`/v2/{endpointId}/...`) and of its worker protocol, declared
 * once and shared by the emulator (which serves them) and the queue client (which reads them).
 * Sources: research/runpod-api.md sections 1 and 3.
 */

/** Every state a RunPod job can be in. */
export const JobStatus = z.enum(["IN_QUEUE", "IN_PROGRESS", "COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"]);
export type JobStatus = z.infer<typeof JobStatus>;

/** The states a job never leaves (the 4-value set the JS SDK and Flash use). */
export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set([
  "COMPLETED",
  "FAILED",
  "CANCELLED",
  "TIMED_OUT",
]);

/** True when `status` is final. */
export function isTerminal(status: string): boolean {
  return TERMINAL_STATUSES.has(status as JobStatus);
}

const MiB = 1024 * 1024;
/** RunPod's request body limit of `/run`. */
export const RUN_PAYLOAD_LIMIT = 10 * MiB;
/** RunPod's request body limit of `/runsync`. */
export const RUNSYNC_PAYLOAD_LIMIT = 20 * MiB;
/** RunPod's request and response limit of load-balanced endpoints. */
export const LB_PAYLOAD_LIMIT = 30 * MiB;

/** `/runsync?wait=` range and default, in ms. */
export const RUNSYNC_WAIT = { min: 1000, max: 300_000, default: 90_000 } as const;

const DAY = 24 * 3600 * 1000;
/** `policy` of a job request; RunPod's documented ranges, in ms. */
export const ExecutionPolicy = z.object({
  executionTimeout: z
    .number()
    .int()
    .min(5000, "policy.executionTimeout must be at least 5000 ms")
    .max(7 * DAY, "policy.executionTimeout must be at most 7 days")
    .optional(),
  ttl: z
    .number()
    .int()
    .min(10_000, "policy.ttl must be at least 10000 ms")
    .max(7 * DAY, "policy.ttl must be at most 7 days")
    .optional(),
  lowPriority: z.boolean().optional(),
});
export type ExecutionPolicy = z.infer<typeof ExecutionPolicy>;

/** Body of `POST /run` and `POST /runsync`. `input` is required (any JSON value). */
export const RunRequest = z.looseObject({
  input: z.unknown().refine((v) => v !== undefined, { message: "input is required" }),
  webhook: z.string().optional(),
  webhookV2: z.string().optional(),
  policy: ExecutionPolicy.optional(),
  s3Config: z.record(z.string(), z.unknown()).optional(),
});
export type RunRequest = z.infer<typeof RunRequest>;

/** What a client sends to `/run` and `/runsync` (the type of {@link RunRequest}'s input side). */
export interface JobRequest {
  input: unknown;
  webhook?: string;
  policy?: ExecutionPolicy;
  s3Config?: Record<string, unknown>;
}

/** `/status`, `/runsync`, `/status-sync`, `/cancel` and `/run` answers. */
export const JobResponse = z.looseObject({
  id: z.string(),
  status: JobStatus,
  delayTime: z.number().optional(),
  executionTime: z.number().optional(),
  output: z.unknown().optional(),
  /** A string on RunPod; the Python worker (and ours) encodes a JSON object in it. */
  error: z.unknown().optional(),
  workerId: z.string().optional(),
  retries: z.number().optional(),
});
export type JobResponse = z.infer<typeof JobResponse>;

/** `GET /health`. */
export const HealthResponse = z.looseObject({
  jobs: z.looseObject({
    completed: z.number(),
    failed: z.number(),
    inProgress: z.number(),
    inQueue: z.number(),
    retried: z.number(),
  }),
  workers: z.looseObject({
    idle: z.number(),
    running: z.number(),
    initializing: z.number().optional(),
    ready: z.number().optional(),
    throttled: z.number().optional(),
    unhealthy: z.number().optional(),
  }),
});
export type HealthResponse = z.infer<typeof HealthResponse>;

/** `POST /purge-queue`. */
export const PurgeResponse = z.looseObject({ removed: z.number(), status: z.string() });
export type PurgeResponse = z.infer<typeof PurgeResponse>;

/** `GET /stream/{id}`: chunks not delivered before. */
export const StreamResponse = z.looseObject({
  status: JobStatus,
  stream: z.array(z.looseObject({ output: z.unknown() })),
});
export type StreamResponse = z.infer<typeof StreamResponse>;

/** A job handed to a worker by job-take. */
export const TakenJob = z.looseObject({ id: z.string().min(1), input: z.unknown() });
export type TakenJob = z.infer<typeof TakenJob>;

/**
 * Body a worker posts to job-done: `output`, or `error` (then the job FAILED), or a progress update
 * `{status: "IN_PROGRESS", output}`; `stopPod` asks for the worker to be recycled.
 */
export const JobDoneBody = z.looseObject({
  output: z.unknown().optional(),
  error: z.unknown().optional(),
  status: z.string().optional(),
  stopPod: z.boolean().optional(),
});
export type JobDoneBody = z.infer<typeof JobDoneBody>;

/** Body a worker posts to job-stream: one partial output. */
export const JobStreamBody = z.looseObject({ output: z.unknown() });

/** Body of the job-stop long poll. */
export const JobsToStop = z.object({ jobsToStop: z.array(z.string()) });

/**
 * What a worker reports when the function threw, JSON-encoded into the job's `error` string. Same
 * keys as RunPod's Python worker, so tools that parse one parse the other.
 */
export const WorkerError = z.looseObject({
  error_type: z.string(),
  error_message: z.string(),
  error_traceback: z.string().optional(),
  worker_id: z.string().optional(),
  hostname: z.string().optional(),
});
export type WorkerError = z.infer<typeof WorkerError>;

/** Reads a job's `error` field: a {@link WorkerError} JSON string, or any other value as the message. */
export function parseJobError(error: unknown): { message: string; type?: string; stack?: string } {
  if (typeof error === "string") {
    if (error.startsWith("{")) {
      try {
        const parsed = WorkerError.safeParse(JSON.parse(error));
        if (parsed.success) {
          return {
            message: parsed.data.error_message,
            type: parsed.data.error_type,
            stack: parsed.data.error_traceback,
          };
        }
      } catch {
        // not JSON: the string is the message
      }
    }
    return { message: error };
  }
  if (error === undefined || error === null) return { message: "no error message" };
  return { message: JSON.stringify(error) };
}
