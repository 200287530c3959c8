import type { ScannedResource } from "../scan/types.ts";
import type { CallOptions } from "../sdk/remote.ts";
import type { QueueTransport } from "../shared/queue-transport.ts";
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
 * A resource's endpoint on the target: the queue API (`/v2/{endpointId}/...`) that QB prefixes of
 * the dev server forward to, answering each request with the status and JSON text the endpoint
 * gave (4xx included, as RunPod's clients expect them).
 */
export interface QueueEndpoint {
  readonly endpointId: string;
  /** Sends one queue API request; `path` follows `/v2/{endpointId}` (e.g. `/runsync?wait=1000`). */
  send(
    request: Omit<Parameters<QueueTransport>[0], "endpointId" | "apiKey">,
  ): Promise<{ status: number; text: string }>;
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
  /** The resource's endpoint (provisioned on first use), for the queue API of its QB prefixes. */
  endpoint(resource: ScannedResource): Promise<QueueEndpoint>;
  /** Removes what this session provisioned and stops local workers; reports each removal. */
  close(): Promise<string[]>;
}

/**
 * The input of a live job (SPEC section 5): the function's code in the `__flash__` envelope around
 * the user's input. Live workers load the bundle and call the named export with `input`.
 */
export function liveJobInput(job: Omit<QbJob, "resource"> & { file: string }): Record<string, unknown> {
  return { __flash__: flashEnvelope(job), input: job.input };
}

/**
 * The JSON text of a live job's request body, `{...fields, "input": {"__flash__": ..., "input": ...}}`.
 * The envelope's text (the bundle's code, escaped) is made once per bundle and function, not per job.
 */
export function liveJobBody(
  job: Omit<QbJob, "resource" | "input"> & { file: string },
  inputJson: string,
  fields: Record<string, unknown>,
): string {
  let byFunction = envelopeTexts.get(job.bundle);
  if (!byFunction) {
    byFunction = new Map();
    envelopeTexts.set(job.bundle, byFunction);
  }
  const key = `${job.file}\0${job.functionName}\0${job.dependencies.join(",")}\0${job.systemDependencies.join(",")}`;
  let envelope = byFunction.get(key);
  if (envelope === undefined) {
    envelope = JSON.stringify(flashEnvelope(job));
    byFunction.set(key, envelope);
  }
  const rest = JSON.stringify(fields);
  return `{${rest.length > 2 ? `${rest.slice(1, -1)},` : ""}"input":{"__flash__":${envelope},"input":${inputJson}}}`;
}

const envelopeTexts = new WeakMap<WorkerBundle, Map<string, string>>();

function flashEnvelope(job: Omit<QbJob, "resource" | "input"> & { file: string }): Record<string, unknown> {
  return {
    v: 1,
    function: job.functionName,
    file: job.file,
    bundle: { sha256: job.bundle.sha256, code: job.bundle.code },
    dependencies: job.dependencies,
    systemDependencies: job.systemDependencies,
  };
}
