/**
 * The operations of RunPod's queue API (research/runpod-api.md section 1), as every surface that
 * serves it declares them: the emulator under `/v2/{endpointId}/`, and the dev server under each QB
 * prefix. Which methods each takes and whether it names a job live here once.
 */

export type QueueOperation =
  | "run"
  | "runsync"
  | "status"
  | "status-sync"
  | "stream"
  | "cancel"
  | "retry"
  | "purge-queue"
  | "health";

export interface QueueOperationInfo {
  /** HTTP methods it answers; any other is a 405. */
  methods: readonly ("GET" | "POST")[];
  /** True when the path continues with `/{jobId}`. */
  needsJob: boolean;
  /** True for the submissions (`/run`, `/runsync`), which take a job body. */
  submits: boolean;
}

export const QUEUE_OPERATIONS: Readonly<Record<QueueOperation, QueueOperationInfo>> = {
  run: { methods: ["POST"], needsJob: false, submits: true },
  runsync: { methods: ["POST"], needsJob: false, submits: true },
  status: { methods: ["GET", "POST"], needsJob: true, submits: false },
  "status-sync": { methods: ["GET", "POST"], needsJob: true, submits: false },
  stream: { methods: ["GET", "POST"], needsJob: true, submits: false },
  cancel: { methods: ["POST"], needsJob: true, submits: false },
  retry: { methods: ["POST"], needsJob: true, submits: false },
  "purge-queue": { methods: ["POST"], needsJob: false, submits: false },
  health: { methods: ["GET"], needsJob: false, submits: false },
};

/** The operation named by a path segment, if it is one. */
export function queueOperationOf(segment: string): QueueOperation | undefined {
  return Object.hasOwn(QUEUE_OPERATIONS, segment) ? (segment as QueueOperation) : undefined;
}

/** The 404 message for a job an endpoint does not know (or no longer keeps). */
export function jobNotFoundMessage(jobId: string): string {
  return `job ${jobId} not found (unknown, or its result expired)`;
}
