import { basename } from "node:path";
import { connectControlPlane, EMULATOR_PLACEHOLDER_KEY } from "../cloud/control-plane.ts";
import { QueueClient } from "../cloud/queue-client.ts";
import type { TargetContext } from "./dev-server.ts";
import type { ExecutionTarget } from "./execution.ts";
import { LiveTarget } from "./live-target.ts";

/** Where `flash run` sends QB calls: `local` (embedded emulator) or `live` (RunPod, or `RUNPOD_API_URL`). */
export type TargetMode = "local" | "live";

/**
 * Creates the execution target of a dev session. Both modes run the same client code against a
 * RunPod API; only the origin differs. `local` starts the embedded emulator in this process and
 * points `RUNPOD_API_URL` at it, so code that calls RunPod from an LB handler reaches it too.
 * @throws FlashError RUNPOD_AUTH for `live` without an API key
 */
export async function createExecutionTarget(
  mode: TargetMode,
  context: TargetContext,
): Promise<ExecutionTarget> {
  if (mode === "live") {
    const controlPlane = await connectControlPlane();
    const target = new LiveTarget(
      controlPlane.isEmulator
        ? `the RunPod emulator at ${controlPlane.urls.emulatorOrigin} (live endpoints)`
        : "RunPod (live endpoints)",
      {
        root: context.root,
        sessionId: context.sessionId,
        controlPlane,
        queue: new QueueClient(),
        embedded: false,
        log: context.log,
        appName: basename(context.root),
        resources: () => context.scan().resources,
      },
    );
    await target.start();
    return target;
  }
  const { createEmulator } = await import("../emulator/index.ts");
  const emulator = await createEmulator({
    port: 0,
    // The session's live endpoints run this CLI's runtime at once, with no runtime build to unpack.
    fastLiveWorkers: true,
    // Worker output and emulator warnings are the user's; where the emulator listens and workers
    // starting and stopping as they scale are shown only with --verbose.
    log: (line) => {
      if (!context.verbose && isLifecycleLine(line)) return;
      context.workerLog(line);
    },
  });
  process.env.RUNPOD_API_URL = emulator.url;
  // The placeholder key, so a RUNPOD_API_KEY in the environment is never sent, not even locally.
  const env = { ...process.env, RUNPOD_API_URL: emulator.url, RUNPOD_API_KEY: EMULATOR_PLACEHOLDER_KEY };
  const controlPlane = await connectControlPlane({ env, apiKey: EMULATOR_PLACEHOLDER_KEY });
  const target = new LiveTarget("local workers", {
    root: context.root,
    sessionId: context.sessionId,
    controlPlane,
    // The same queue client as live mode; its requests to this process's own emulator are answered
    // in-process (no socket), with the answers the emulator's HTTP server gives.
    queue: new QueueClient({ env, apiKey: EMULATOR_PLACEHOLDER_KEY, transport: emulator.localQueue }),
    embedded: true,
    log: context.log,
    onClose: () => emulator.close(),
  });
  try {
    await target.start();
  } catch (err) {
    await emulator.close();
    throw err;
  }
  return target;
}

/** Emulator lines about where it listens and workers stopping as they scale (not failures). */
export function isLifecycleLine(line: string): boolean {
  return line.startsWith("emulator listening on") || /\] stopping: /.test(line);
}
