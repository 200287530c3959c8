import type { ScannedResource } from "../scan/types.ts";
import { gpuPoolOf } from "../sdk/enums.ts";
import type { EndpointInput } from "../shared/schemas/control-plane.ts";
import { VERSION } from "../shared/version.ts";

/** Flash's worker images, by kind; a live endpoint runs the one matching its resource. */
export const WORKER_IMAGES = {
  gpu: `runpod/flash-ts-worker-gpu:${VERSION}`,
  cpu: `runpod/flash-ts-worker-cpu:${VERSION}`,
} as const;

/** The name of a resource's live endpoint in a dev session: `live-<name>-<session id>` (SPEC section 5). */
export function liveEndpointName(resource: ScannedResource, sessionId: string): string {
  return `live-${resource.endpointName}-${sessionId}`;
}

/**
 * What `saveEndpoint` gets for a resource's live endpoint: every config field, the Flash worker
 * image in an inline template, and the config's `env` with `${VAR}` values (kept by discovery for
 * `process.env.VAR`) taken from this process's environment.
 */
export function liveEndpointInput(
  resource: ScannedResource,
  sessionId: string,
  env: NodeJS.ProcessEnv = process.env,
): EndpointInput {
  const c = resource.config;
  const name = liveEndpointName(resource, sessionId);
  const cpu = c.instanceIds !== undefined && c.gpus === undefined;
  const input: EndpointInput = {
    name,
    template: {
      name,
      imageName: c.imageName ?? (cpu ? WORKER_IMAGES.cpu : WORKER_IMAGES.gpu),
      containerDiskInGb: c.containerDiskInGb,
      env: Object.entries(c.env).map(([key, value]) => ({ key, value: substituteEnv(value, env) })),
    },
    type: resource.isLoadBalanced ? "LB" : "QB",
    workersMin: c.workersMin,
    workersMax: c.workersMax,
    workersStandby: c.workersMin,
    idleTimeout: c.idleTimeout,
    scalerType: c.scalerType,
    scalerValue: c.scalerValue,
    executionTimeoutMs: c.executionTimeoutMs,
    flashBootType: c.flashboot ? "FLASHBOOT" : "OFF",
  };
  if (cpu) input.instanceIds = [...(c.instanceIds ?? [])];
  else {
    // gpuIds takes pool ids; a specific GPU type is sent as its pool.
    const pools = (c.gpus ?? ["ANY"]).map((g) => (gpuPoolOf as Record<string, string>)[g] ?? g);
    input.gpuIds = [...new Set(pools)].join(",");
    input.gpuCount = c.gpuCount ?? 1;
  }
  if (c.dataCenters && c.dataCenters.length > 0) input.locations = c.dataCenters.join(",");
  return input;
}

function substituteEnv(value: string, env: NodeJS.ProcessEnv): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => env[name] ?? "");
}
