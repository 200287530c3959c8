import type { ControlPlane } from "../cloud/control-plane.ts";
import type { QueueClient } from "../cloud/queue-client.ts";
import { FlashError } from "../shared/errors.ts";
import type { HealthResponse } from "../shared/schemas/job.ts";
import { isDeployedByFlash } from "./names.ts";
import { endpointUrls } from "./urls.ts";

/** One deployed endpoint as `flash status` shows it. */
export interface EndpointStatus {
  name: string;
  id: string;
  type: "QB" | "LB";
  /** QB: its `/run` URL; LB: its base URL. */
  url: string;
  workersMin: number;
  workersMax: number;
  /** RunPod's `/health` for QB endpoints; undefined for LB endpoints (they have no queue) or when it failed. */
  health?: HealthResponse;
  /** Why there is no health, when asking for it failed. */
  healthError?: string;
}

export interface StatusReport {
  appName: string;
  environment: string;
  endpoints: EndpointStatus[];
}

/**
 * What `flash deploy` made for an app's environment, as the account has it now: each endpoint with
 * its URL, worker bounds and (QB) queue health from `/v2/{id}/health`. Endpoints are found as
 * `flash undeploy` finds them: those of the flash environment that run the template deploy named.
 * @throws FlashError NOT_DEPLOYED when the app, the environment or any endpoint of it is missing,
 * saying which command deploys it
 */
export async function deploymentStatus(o: {
  controlPlane: ControlPlane;
  queue: QueueClient;
  appName: string;
  environment: string;
}): Promise<StatusReport> {
  const cp = o.controlPlane;
  const deployHint = `Run \`flash deploy${o.environment === "production" ? "" : ` --env ${o.environment}`}\` in the project folder first.`;
  const app = await cp.getFlashAppByName(o.appName);
  if (!app) {
    throw new FlashError(
      "NOT_DEPLOYED",
      `${o.appName} is not deployed: no flash app of that name on this account.`,
      {
        hint: deployHint,
      },
    );
  }
  const environment =
    app.flashEnvironments?.find((e) => e.name === o.environment) ??
    (await cp.getFlashEnvironmentByName({ flashAppId: app.id, name: o.environment }));
  if (!environment) {
    const known = (app.flashEnvironments ?? []).map((e) => e.name);
    throw new FlashError(
      "NOT_DEPLOYED",
      `${o.appName} has no environment ${o.environment}${known.length > 0 ? ` (it has: ${known.join(", ")})` : ""}.`,
      { hint: known.length > 0 ? `${deployHint} Or pick one with --env.` : deployHint },
    );
  }
  const [all, templates] = await Promise.all([cp.listEndpoints(), cp.listTemplates()]);
  const templateName = new Map(templates.map((t) => [t.id, t.name]));
  const deployed = all
    .filter((e) => e.flashEnvironmentId === environment.id)
    .filter((e) => isDeployedByFlash(e, (id) => templateName.get(id)))
    .sort((a, b) => a.name.localeCompare(b.name));
  if (deployed.length === 0) {
    throw new FlashError("NOT_DEPLOYED", `${o.appName}/${o.environment} has no endpoints.`, {
      hint: deployHint,
    });
  }
  const endpoints = await Promise.all(
    deployed.map(async (e): Promise<EndpointStatus> => {
      const type = e.type === "LB" ? "LB" : "QB";
      const base: EndpointStatus = {
        name: e.name,
        id: e.id,
        type,
        url: endpointUrls(cp.urls, e.id, type === "LB" ? [""] : undefined)[0]!,
        workersMin: e.workersMin ?? 0,
        workersMax: e.workersMax ?? 0,
      };
      if (type === "LB") return base;
      try {
        return { ...base, health: await o.queue.health(e.id) };
      } catch (err) {
        return { ...base, healthError: (err as Error).message };
      }
    }),
  );
  return { appName: o.appName, environment: o.environment, endpoints };
}
