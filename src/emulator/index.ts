/**
 * The embedded RunPod emulator. `createEmulator()` starts one; `flash emulator` and `flash run --local`
 * use it.
 * @packageDocumentation
 */

export type { QueueTransport, QueueTransportRequest } from "../shared/queue-transport.ts";
export type { Job, JobStore } from "./jobs.ts";
export { type EmulatedEndpoint, type EmulatedTemplate, Registry } from "./registry.ts";
export { createEmulator, type Emulator, type EmulatorOptions } from "./server.ts";
export type { Supervisor, WorkerRecord } from "./supervisor.ts";
export {
  type OutsideWorkerEnv,
  outsideWorkerEnv,
  type WorkerWebhooks,
  workerEnvBanner,
  workerWebhooks,
} from "./worker-env.ts";
