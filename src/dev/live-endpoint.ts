import { configEndpointFields } from "../deploy/endpoint-spec.ts";
import { resolveConfigEnv, type UnsetVariables } from "../deploy/env-values.ts";
import { usesStartCommand, workerImage } from "../deploy/images.ts";
import { START_COMMAND } from "../deploy/start-command.ts";
import { LIVE_MARKER } from "../runtime/env.ts";
import { liveEndpointNameOf } from "../scan/naming.ts";
import type { ScannedResource } from "../scan/types.ts";
import type { EndpointInput } from "../shared/schemas/control-plane.ts";

/** The name of a resource's live endpoint in a dev session: `live-<name>-<session id>` (SPEC section 5). */
export function liveEndpointName(resource: ScannedResource, sessionId: string): string {
  return liveEndpointNameOf(resource.endpointName, sessionId);
}

/**
 * What `saveEndpoint` gets for a resource's live endpoint: every config field, the Flash worker
 * image in an inline template, and the config's `env` with `${VAR}` values (kept by discovery for
 * `process.env.VAR`) taken from `env`, as `flash deploy` takes them, plus `FLASH_LIVE=1`: the one
 * thing that lets its workers run the code this session ships in each job.
 * @throws FlashError CONFIG_INVALID naming the variable and the config's file:line when one is not
 *   set, unless `unset` says to leave it empty
 */
export function liveEndpointInput(
  resource: ScannedResource,
  sessionId: string,
  env: NodeJS.ProcessEnv = process.env,
  unset?: UnsetVariables,
): EndpointInput {
  const c = resource.config;
  const name = liveEndpointName(resource, sessionId);
  const input: EndpointInput = {
    name,
    template: {
      name,
      // The same image (and FLASH_IMAGE_* overrides) as a deployed endpoint of this resource type.
      imageName: workerImage(c.resourceType, c.imageName, env),
      dockerArgs: usesStartCommand(c.resourceType, c.imageName) ? START_COMMAND : "",
      containerDiskInGb: c.containerDiskInGb,
      env: Object.entries({
        ...resolveConfigEnv(resource, env, unset),
        [LIVE_MARKER.key]: LIVE_MARKER.value,
      }).map(([key, value]) => ({ key, value })),
    },
    ...configEndpointFields(resource),
  };
  return input;
}
