import type { ErrorInfo } from "./call-export.ts";

/** Messages between the worker loop and its executor thread (structured clone). */
export type ExecutorTask = {
  type: "run";
  /** The job id. */
  id: string;
  /** Absolute path of the ES module to import. */
  modulePath: string;
  exportName: string;
  /** Names the code in messages, e.g. `live bundle of gpu_worker.ts`. */
  where: string;
  input: unknown;
};

export type ExecutorReply =
  | { type: "ready" }
  /** One value yielded by a generator function (streamed to the platform before the result). */
  | { type: "chunk"; id: string; outputJson: string }
  | { type: "result"; id: string; ok: true; outputJson: string }
  | { type: "result"; id: string; ok: false; error: ErrorInfo };

/** What running a job produced: JSON text of the output, or the error. */
export type RunResult = { ok: true; outputJson: string } | { ok: false; error: ErrorInfo };
