import { setTimeout as sleep } from "node:timers/promises";
import { RemoteExecutionError } from "../sdk/errors.ts";
import { FlashError } from "../shared/errors.ts";
import { isTerminal, type JobResponse, parseJobError, RUNSYNC_WAIT } from "../shared/schemas/job.ts";
import type { QueueClient } from "./queue-client.ts";

/**
 * SPEC section 5, "Calling a QB function": how the SDK stub runs one job on an endpoint. Submit with
 * `/runsync`; if the job is not final when that returns, poll `/status` with capped backoff until it
 * is. COMPLETED resolves with the output; any other end rejects with a {@link RemoteExecutionError}.
 * A timeout or an aborted signal cancels the job (`/cancel`) and rejects (a job aborted while its
 * runsync request is in flight has no id yet and cannot be cancelled; the runsync wait is therefore
 * ended before the timeout).
 */

export interface CallEndpointOptions {
  /** Reject (and cancel the job) after this many milliseconds. */
  timeoutMs?: number;
  /** Aborting cancels the job and rejects. */
  signal?: AbortSignal;
  /** Names the endpoint in errors (e.g. the resource name); default: the endpoint id. */
  label?: string;
}

/** Poll delays after a runsync that returned early: 200 ms, ×1.5 each time, at most 2 s. */
const POLL = { first: 200, factor: 1.5, max: 2000 };

/** Runs `input` as one job on `endpointId` and resolves with its output. */
export async function callEndpoint(
  client: QueueClient,
  endpointId: string,
  input: unknown,
  options: CallEndpointOptions = {},
): Promise<unknown> {
  const label = options.label ?? endpointId;
  const deadline =
    options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
  // Without a timeout or a signal nothing can stop the call: no controller (a call's signals and
  // their listeners are a good part of a local call's cost).
  const stoppable = options.timeoutMs !== undefined || options.signal !== undefined;
  const controller = stoppable ? new AbortController() : undefined;
  const onAbort = () => controller?.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => controller?.abort(), Math.max(0, options.timeoutMs));
  const signal = controller?.signal;
  let jobId: string | undefined;
  try {
    if (options.signal?.aborted) throw stopped(options, label, undefined);
    const request = { input: input === undefined ? null : input };
    const remaining = () => deadline - Date.now();
    let job: JobResponse = await client.runsync(endpointId, request, {
      // End the wait a little before our own deadline, so the job id is known and can be cancelled.
      waitMs: Math.min(RUNSYNC_WAIT.default, Math.max(RUNSYNC_WAIT.min, remaining() - 250)),
      signal,
    });
    jobId = job.id;
    let delay = POLL.first;
    while (!isTerminal(job.status)) {
      await sleep(Math.min(delay, Math.max(0, remaining())), undefined, { signal });
      delay = Math.min(POLL.max, delay * POLL.factor);
      job = await client.status(endpointId, job.id, { signal });
    }
    if (job.status === "COMPLETED") return job.output === undefined ? null : job.output;
    const remote = parseJobError(job.error);
    const message =
      job.error === undefined
        ? job.status === "CANCELLED"
          ? "the job was cancelled"
          : job.status === "TIMED_OUT"
            ? "the job timed out"
            : "the job failed without an error message"
        : remote.message;
    throw new RemoteExecutionError({
      jobId: job.id,
      status: job.status as "FAILED" | "CANCELLED" | "TIMED_OUT",
      endpoint: label,
      message,
      remoteStack: remote.stack,
    });
  } catch (err) {
    if (!signal?.aborted || err instanceof RemoteExecutionError) throw err;
    // Our timeout or the caller's abort: cancel the job (best effort) and say which it was.
    if (jobId) await client.cancel(endpointId, jobId).catch(() => {});
    throw stopped(options, label, jobId);
  } finally {
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}

function stopped(options: CallEndpointOptions, label: string, jobId: string | undefined): FlashError {
  const job = jobId ? ` (job ${jobId} cancelled)` : "";
  if (options.signal?.aborted) return new FlashError("ABORTED", `the call to ${label} was aborted${job}.`);
  return new FlashError("TIMEOUT", `the call to ${label} timed out after ${options.timeoutMs} ms${job}.`);
}
