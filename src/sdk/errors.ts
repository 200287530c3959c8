import { FlashError } from "../shared/errors.ts";

export { FlashError };

/** Terminal job states other than COMPLETED. */
export type FailedJobStatus = "FAILED" | "CANCELLED" | "TIMED_OUT";

/** A remote job ended without a result. Carries what RunPod (or the emulator) said about it. */
export class RemoteExecutionError extends FlashError {
  override name = "RemoteExecutionError";
  readonly jobId: string;
  readonly status: FailedJobStatus;
  readonly endpoint: string;
  /** The stack of the error on the worker, when it threw. */
  readonly remoteStack: string | undefined;

  constructor(info: {
    jobId: string;
    status: FailedJobStatus;
    endpoint: string;
    message: string;
    remoteStack?: string;
  }) {
    super("REMOTE_EXECUTION", `Job ${info.jobId} on ${info.endpoint} ended ${info.status}: ${info.message}`);
    this.jobId = info.jobId;
    this.status = info.status;
    this.endpoint = info.endpoint;
    this.remoteStack = info.remoteStack;
  }
}
