/**
 * The environment a RunPod worker needs to poll the emulator's worker protocol (worker-protocol.ts):
 * the variables RunPod gives its workers, with the URL templates RunPod's Python worker fills in
 * (research/runpod-api.md section 3.1). The supervisor starts its workers with them, and `flash
 * emulator` prints them so that a worker of your own (runpod-python, or anything speaking the
 * protocol) can be started against an endpoint whose image the emulator does not run.
 */

/** The worker-protocol URL templates of one endpoint. */
export interface WorkerWebhooks {
  /** job-take; the worker replaces `$ID` with its worker id and appends `&job_in_progress=…`. */
  RUNPOD_WEBHOOK_GET_JOB: string;
  /** job-done; `$RUNPOD_POD_ID` → worker id, `$ID` → job id. */
  RUNPOD_WEBHOOK_POST_OUTPUT: string;
  /** job-stream; same placeholders as job-done. */
  RUNPOD_WEBHOOK_POST_STREAM: string;
  /** Heartbeat; `$RUNPOD_POD_ID` → worker id. */
  RUNPOD_WEBHOOK_PING: string;
}

/** The full environment of an outside worker: {@link WorkerWebhooks} plus its key and id. */
export interface OutsideWorkerEnv extends WorkerWebhooks {
  RUNPOD_AI_API_KEY: string;
  RUNPOD_POD_ID: string;
}

/**
 * The URL templates for `endpointId` at the emulator's `origin`. Each carries a query string
 * already (`?gpu=emulator`, as RunPod's carry `?gpu=<GPU name>`) because the Python worker appends
 * its own parameters with `&`.
 */
export function workerWebhooks(origin: string, endpointId: string): WorkerWebhooks {
  const base = `${origin}/v2/${endpointId}`;
  return {
    RUNPOD_WEBHOOK_GET_JOB: `${base}/job-take/$ID?gpu=emulator`,
    RUNPOD_WEBHOOK_POST_OUTPUT: `${base}/job-done/$RUNPOD_POD_ID/$ID?gpu=emulator`,
    RUNPOD_WEBHOOK_POST_STREAM: `${base}/job-stream/$RUNPOD_POD_ID/$ID?gpu=emulator`,
    RUNPOD_WEBHOOK_PING: `${base}/ping/$RUNPOD_POD_ID?gpu=emulator`,
  };
}

/**
 * The environment for a worker you start yourself against endpoint `endpointId` of the emulator at
 * `origin` (its URL). `apiKey` is the key the worker sends: the emulator's `--api-key`, or any
 * non-empty value when it accepts any key. `workerId` (RUNPOD_POD_ID) names the worker in `/health`,
 * `/status` and the log; any id the emulator did not give one of its own workers will do.
 */
export function outsideWorkerEnv(
  origin: string,
  endpointId: string,
  options: { apiKey: string; workerId?: string },
): OutsideWorkerEnv {
  return {
    ...workerWebhooks(origin, endpointId),
    RUNPOD_AI_API_KEY: options.apiKey,
    RUNPOD_POD_ID: options.workerId ?? "my-worker-1",
  };
}

/**
 * The lines `flash emulator` prints: the environment of an outside worker for any endpoint, with
 * `<endpointId>` to fill in. Never the key itself: with `--api-key` it says to use that key.
 */
export function workerEnvBanner(origin: string, options: { apiKeyRequired: boolean }): string[] {
  const env = outsideWorkerEnv(origin, "<endpointId>", {
    apiKey: options.apiKeyRequired ? "<your --api-key>" : "any-non-empty-value",
  });
  // Single quotes: the shell must leave `$ID` and `$RUNPOD_POD_ID` for the worker to replace.
  const lines = Object.entries(env).map(([key, value]) => `  export ${key}='${value}'`);
  return [
    "Start a worker of your own (e.g. runpod-python's) for an endpoint with:",
    ...lines,
    options.apiKeyRequired
      ? "  (RUNPOD_AI_API_KEY: the key given with --api-key; RUNPOD_POD_ID: any id of your choice)"
      : "  (RUNPOD_AI_API_KEY: any non-empty value works; RUNPOD_POD_ID: any id of your choice)",
    "Endpoints on an image the emulator does not know (not node, nvidia/cuda, FLASH_IMAGE_* or a Flash",
    "worker image) get no workers of the emulator's: their jobs wait for such a worker.",
  ];
}
