import type { ScannedResource } from "../scan/types.ts";
import { gpuPoolOf } from "../sdk/enums.ts";
import type { EndpointInput, SaveTemplateInput } from "../shared/schemas/control-plane.ts";
import { deployedTemplateName } from "./names.ts";

/** What one resource's endpoint should look like: its template and its endpoint fields. */
export interface DesiredEndpoint {
  resourceName: string;
  endpointName: string;
  template: SaveTemplateInput;
  /** Every endpoint field, `templateId` aside (known once the template is saved). */
  endpoint: Omit<EndpointInput, "id" | "templateId">;
}

/** Everything besides the resource that decides its endpoint. */
export interface SpecContext {
  endpointName: string;
  image: string;
  /** The container's command: Flash's start command, or "" for a bring-your-own image. */
  dockerArgs: string;
  /** The config's env with `${X}` placeholders filled in. */
  configEnv: Record<string, string>;
  flashEnvironmentId: string;
  networkVolume?: { id: string; dataCenterId: string };
  /** Changes when the resource's bundle changes, so a code-only change rolls the workers. */
  codeFingerprint: string;
  /** Endpoint ids known so far, by resource name (all of them after the create phase). */
  endpointIds: ReadonlyMap<string, string>;
  /** The deploying key, given to endpoints that call other endpoints (unless their env sets one). */
  apiKey?: string;
}

/**
 * The template and endpoint fields for a resource (SPEC section 8: every config field reaches
 * RunPod). GPU pools become `gpuIds` (a GPU type is sent as its pool), CPU instance types
 * `instanceIds`, data centers `locations` (a network volume's data center when none are listed:
 * the endpoint must run where its volume is), `flashboot` `flashBootType`; `workersStandby` is sent
 * equal to `workersMin` so RunPod keeps no extra warm worker. The env is the config's own plus what
 * the worker runtime needs: `FLASH_RESOURCE_NAME`, `FLASH_MODULE_PATH`, `FLASH_ENDPOINT_TYPE` (LB),
 * `FLASH_CODE_FINGERPRINT`, and for resources that call others `FLASH_ENDPOINTS` and `RUNPOD_API_KEY`.
 */
export function desiredEndpoint(resource: ScannedResource, ctx: SpecContext): DesiredEndpoint {
  const c = resource.config;
  const env: Record<string, string> = { ...ctx.configEnv };
  env.FLASH_RESOURCE_NAME = resource.resourceName;
  env.FLASH_MODULE_PATH = resource.modulePath;
  if (resource.isLoadBalanced) env.FLASH_ENDPOINT_TYPE = "lb";
  env.FLASH_CODE_FINGERPRINT = ctx.codeFingerprint;
  if (resource.makesRemoteCalls) {
    const ids: Record<string, string> = {};
    for (const callee of [...resource.calls].sort()) {
      const id = ctx.endpointIds.get(callee);
      if (id) ids[callee] = id;
    }
    env.FLASH_ENDPOINTS = JSON.stringify(ids);
    // A user who keeps the key in a RunPod secret sets RUNPOD_API_KEY in env themselves.
    if (ctx.apiKey && ctx.configEnv.RUNPOD_API_KEY === undefined) env.RUNPOD_API_KEY = ctx.apiKey;
  }
  const template: SaveTemplateInput = {
    name: deployedTemplateName(ctx.endpointName),
    imageName: ctx.image,
    containerDiskInGb: c.containerDiskInGb,
    volumeInGb: 0,
    dockerArgs: ctx.dockerArgs,
    env: Object.entries(env)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, value]) => ({ key, value })),
    isServerless: true,
  };
  if (c.containerRegistryAuthId) template.containerRegistryAuthId = c.containerRegistryAuthId;
  const endpoint: DesiredEndpoint["endpoint"] = {
    name: ctx.endpointName,
    ...configEndpointFields(resource),
    flashEnvironmentId: ctx.flashEnvironmentId,
  };
  if (ctx.networkVolume) endpoint.networkVolumeId = ctx.networkVolume.id;
  if (!endpoint.locations && ctx.networkVolume) endpoint.locations = ctx.networkVolume.dataCenterId;
  return { resourceName: resource.resourceName, endpointName: ctx.endpointName, template, endpoint };
}

/** Endpoint fields decided by the config alone, shared by deployed and live (`flash run`) endpoints. */
export type ConfigEndpointFields = Omit<
  EndpointInput,
  "id" | "name" | "templateId" | "template" | "flashEnvironmentId" | "networkVolumeId"
>;

/**
 * The endpoint fields a resource's config decides: type, workers (`workersStandby` equal to
 * `workersMin`, so RunPod keeps no extra warm worker), scaling, execution timeout, FlashBoot, GPU
 * pools (`gpuIds`; a GPU type is sent as its pool) or CPU `instanceIds`, and `locations`.
 */
export function configEndpointFields(resource: ScannedResource): ConfigEndpointFields {
  const c = resource.config;
  const fields: ConfigEndpointFields = {
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
  if (c.instanceIds !== undefined && c.gpus === undefined) fields.instanceIds = [...c.instanceIds];
  else {
    const pools = (c.gpus ?? ["ANY"]).map((g) => (gpuPoolOf as Record<string, string>)[g] ?? g);
    fields.gpuIds = [...new Set(pools)].join(",");
    fields.gpuCount = c.gpuCount ?? 1;
  }
  if (c.dataCenters && c.dataCenters.length > 0) fields.locations = c.dataCenters.join(",");
  return fields;
}
