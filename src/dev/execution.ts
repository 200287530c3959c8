import type { ScannedResource } from "../scan/types.ts";
import type { CallOptions } from "../sdk/remote.ts";
import type { WorkerBundle } from "./bundle.ts";

/** One QB call, ready to send: which function of which resource, its code and its input. */
export interface QbJob {
  resource: ScannedResource;
  functionName: string;
  bundle: WorkerBundle;
  dependencies: string[];
  systemDependencies: string[];
  input: unknown;
}

/**
 * Where QB calls of a dev session run: local workers of the embedded emulator, RunPod, or (for
 * tests) this process. Every target resolves with the function's output or rejects with the
 * reason it did not complete.
 */
export interface ExecutionTarget {
  /** Shown in the startup table: `local workers`, `RunPod (live endpoints)`. */
  readonly executesOn: string;
  run(job: QbJob, call: CallOptions | undefined): Promise<unknown>;
  /** Removes what this session provisioned and stops local workers; reports each removal. */
  close(): Promise<string[]>;
}
