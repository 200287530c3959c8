import { existsSync } from "node:fs";
import { basename, resolve } from "node:path";
import { connectControlPlane } from "../../cloud/control-plane.ts";
import { resolveApiKey } from "../../cloud/credentials.ts";
import { QueueClient } from "../../cloud/queue-client.ts";
import { deployEnvironment } from "../../deploy/env-values.ts";
import { checkEnvironmentName, DEFAULT_ENVIRONMENT } from "../../deploy/names.ts";
import type { StatusReport } from "../../deploy/status.ts";
import { FlashError } from "../../shared/errors.ts";
import { table } from "../format.ts";
import { debugLogger } from "./deploy.ts";

/**
 * `flash status [dir] [--env NAME]`: the endpoints `flash deploy` made for the project's app and
 * environment, with URL, worker bounds, workers running and idle, and the queue (jobs waiting and
 * in progress). The app is the folder's name, as for deploy and undeploy.
 */
export async function statusCommand(dir: string, opts: { env?: string }): Promise<void> {
  const root = resolve(dir);
  if (!existsSync(root)) throw new FlashError("USAGE", `no such folder: ${dir}`);
  const environment = checkEnvironmentName(opts.env ?? DEFAULT_ENVIRONMENT);
  const env = await deployEnvironment(root);
  const http = { onEvent: debugLogger() };
  const controlPlane = await connectControlPlane({ env, http });
  const resolved = await resolveApiKey({ env });
  const queue = new QueueClient({ env, apiKey: resolved?.apiKey, http });
  const { deploymentStatus } = await import("../../deploy/status.ts");
  const report = await deploymentStatus({ controlPlane, queue, appName: basename(root), environment });
  const where = controlPlane.isEmulator ? `the emulator at ${controlPlane.urls.emulatorOrigin}` : "RunPod";
  process.stdout.write(`${report.appName}/${report.environment} on ${where}\n\n${formatStatus(report)}\n`);
}

/** One row per endpoint; `-` where a number does not apply (LB endpoints have no queue). */
export function formatStatus(report: StatusReport): string {
  const rows = report.endpoints.map((e) => {
    const h = e.health;
    const n = (value: number | undefined) => (value === undefined ? "-" : String(value));
    return [
      e.name,
      e.type,
      e.id,
      `${e.workersMin}/${e.workersMax}`,
      n(h?.workers.running),
      n(h?.workers.idle),
      n(h?.jobs.inQueue),
      n(h?.jobs.inProgress),
      e.url,
    ];
  });
  const failed = report.endpoints
    .filter((e) => e.healthError)
    .map((e) => `\nhealth of ${e.name} unavailable: ${e.healthError}`);
  return (
    table(
      ["Endpoint", "Type", "Id", "Workers min/max", "Running", "Idle", "In queue", "In progress", "URL"],
      rows,
    ) + failed.join("")
  );
}
