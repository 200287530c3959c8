import type { TargetContext } from "./dev-server.ts";
import type { ExecutionTarget } from "./execution.ts";
import { InProcessTarget } from "./in-process-target.ts";

/** Where `flash run` sends QB calls: `local` (embedded emulator) or `live` (RunPod, or `RUNPOD_API_URL`). */
export type TargetMode = "local" | "live";

/** Creates the execution target of a dev session. */
export async function createExecutionTarget(
  mode: TargetMode,
  context: TargetContext,
): Promise<ExecutionTarget> {
  void mode;
  return new InProcessTarget(context.root, context.sdkEntry);
}
