import { GpuGroup } from "../../sdk/enums.ts";
import type { EmulatedEndpoint, EmulatedTemplate } from "../registry.ts";
import { EMULATOR_USER_ID, InputError, newId, type ResolverContext } from "./context.ts";

/**
 * Templates and endpoints: `saveTemplate`, `deleteTemplate`, `podTemplate`, `saveEndpoint`,
 * `deleteEndpoint`, `updateEndpointTemplate` and the `myself` views, validated as RunPod validates
 * them. `saveEndpoint` with an `id` is a full replace: a field not sent returns to its default.
 */

type Env = { key: string; value: string }[];

interface TemplateFields {
  id?: string | null;
  name?: string | null;
  imageName?: string | null;
  containerDiskInGb?: number | null;
  volumeInGb?: number | null;
  dockerArgs?: string | null;
  env?: ({ key: string; value: string } | null)[] | null;
  isServerless?: boolean | null;
  [other: string]: unknown;
}

interface EndpointFields {
  id?: string | null;
  name?: string | null;
  templateId?: string | null;
  template?: TemplateFields | null;
  type?: string | null;
  gpuIds?: string | null;
  gpuCount?: number | null;
  instanceIds?: (string | null)[] | null;
  workersMin?: number | null;
  workersMax?: number | null;
  workersStandby?: number | null;
  idleTimeout?: number | null;
  scalerType?: string | null;
  scalerValue?: number | null;
  executionTimeoutMs?: number | null;
  flashBootType?: string | null;
  networkVolumeId?: string | null;
  locations?: string | null;
  flashEnvironmentId?: string | null;
  [other: string]: unknown;
}

/** RunPod's defaults for a new endpoint (docs: endpoint-configurations). */
export const ENDPOINT_DEFAULTS = {
  type: "QB",
  gpuCount: 1,
  workersMin: 0,
  workersMax: 3,
  idleTimeout: 5,
  scalerType: "QUEUE_DELAY",
  scalerValue: 4,
  executionTimeoutMs: 600_000,
  flashBootType: "FLASHBOOT",
} as const;

/** Input fields kept on the endpoint as sent (the registry's typed fields are set separately). */
const PASSTHROUGH_ENDPOINT_FIELDS = [
  "workersStandby",
  "workersPFBTarget",
  "allowedCudaVersions",
  "minCudaVersion",
  "networkVolumeIds",
  "modelReferences",
  "hubReleaseId",
] as const;

const GPU_POOLS = new Set<string>(Object.values(GpuGroup));
const CPU_INSTANCE = /^cpu\d+[a-z]+-\d+-\d+$/;
const MAX_CONTAINER_DISK_GB = 4000;

// ---------------------------------------------------------------------------------------------
// Templates
// ---------------------------------------------------------------------------------------------

/** `saveTemplate(input)`: creates, or with `id` updates, a template. */
export function saveTemplate(ctx: ResolverContext, input: TemplateFields | null | undefined): object {
  if (!input) throw new InputError("input is required");
  const existing = input.id ? ctx.registry.templates.get(input.id) : undefined;
  if (input.id && !existing) throw new InputError(`Template ${input.id} not found`);
  const template = buildTemplate(ctx, input, existing);
  ctx.registry.saveTemplate(template);
  if (existing) bumpEndpointsUsing(ctx, template.id);
  return templateView(template);
}

/** `deleteTemplate(templateName)`: by name; refused while an endpoint uses the template. */
export function deleteTemplate(ctx: ResolverContext, templateName: string | null | undefined): null {
  if (!templateName) throw new InputError("templateName is required");
  const template = [...ctx.registry.templates.values()].find((t) => t.name === templateName);
  if (!template) throw new InputError(`Template ${JSON.stringify(templateName)} not found`);
  const user = [...ctx.registry.endpoints.values()].find((e) => e.templateId === template.id);
  if (user) {
    throw new InputError(
      `Template ${JSON.stringify(templateName)} is in use by endpoint ${user.id}; delete the endpoint first`,
    );
  }
  ctx.registry.deleteTemplate(template.id);
  return null;
}

/** `podTemplate(id)`. */
export function podTemplate(ctx: ResolverContext, id: string): object | null {
  const template = ctx.registry.templates.get(id);
  return template ? templateView(template) : null;
}

function buildTemplate(
  ctx: ResolverContext,
  input: TemplateFields,
  existing: EmulatedTemplate | undefined,
): EmulatedTemplate {
  const name = (input.name ?? existing?.name ?? "").trim();
  if (!name) throw new InputError("Template name is required");
  const clash = [...ctx.registry.templates.values()].find((t) => t.name === name && t.id !== existing?.id);
  if (clash) throw new InputError(`Template name must be unique: ${JSON.stringify(name)} is already used`);
  const imageName = (input.imageName ?? existing?.imageName ?? "").trim();
  if (!imageName) throw new InputError("imageName is required");
  const containerDiskInGb = input.containerDiskInGb ?? existing?.containerDiskInGb;
  if (containerDiskInGb === undefined || containerDiskInGb === null) {
    throw new InputError("containerDiskInGb is required");
  }
  checkRange("containerDiskInGb", containerDiskInGb, 1, MAX_CONTAINER_DISK_GB);
  const volumeInGb = input.volumeInGb ?? existing?.volumeInGb ?? 0;
  checkRange("volumeInGb", volumeInGb, 0, MAX_CONTAINER_DISK_GB);
  const isServerless = input.isServerless ?? existing?.isServerless ?? false;
  if (isServerless && volumeInGb > 0) {
    throw new InputError("Serverless templates cannot have a volume: volumeInGb must be 0");
  }
  const env = input.env === undefined || input.env === null ? (existing?.env ?? []) : checkEnv(input.env);
  if (!ctx.isKnownImage(imageName)) {
    ctx.warn(
      `Template ${JSON.stringify(name)} names image ${JSON.stringify(imageName)}: the emulator runs workers ` +
        "only for images it knows (node, nvidia/cuda, FLASH_IMAGE_*, Flash worker images), so its endpoints get no workers of the emulator's; their jobs wait for a " +
        "worker you start yourself with the worker environment `flash emulator` prints.",
    );
  }
  const { id: _id, name: _n, imageName: _i, containerDiskInGb: _c, volumeInGb: _v, env: _e, ...rest } = input;
  return {
    id: existing?.id ?? newId(10),
    name,
    imageName,
    env,
    containerDiskInGb,
    dockerArgs: input.dockerArgs ?? existing?.dockerArgs ?? "",
    isServerless,
    volumeInGb,
    extra: { ...existing?.extra, ...withoutNulls(rest) },
  };
}

function checkEnv(env: ({ key: string; value: string } | null)[]): Env {
  const out: Env = [];
  for (const entry of env) {
    if (!entry) continue;
    if (!entry.key.trim()) throw new InputError("env keys must not be empty");
    out.push({ key: entry.key, value: entry.value });
  }
  return out;
}

function templateView(t: EmulatedTemplate): object {
  return { ...t.extra, ...t, extra: undefined, ports: t.extra.ports ?? null, readme: t.extra.readme ?? "" };
}

// ---------------------------------------------------------------------------------------------
// Endpoints
// ---------------------------------------------------------------------------------------------

/** `saveEndpoint(input)`: creates, or with `id` replaces, an endpoint. */
export function saveEndpoint(ctx: ResolverContext, input: EndpointFields): object {
  const previous = input.id ? ctx.registry.endpoints.get(input.id) : undefined;
  if (input.id && !previous) throw new InputError(`Endpoint ${input.id} not found`);

  const name = (input.name ?? "").trim();
  if (!name) throw new InputError("Endpoint name is required");
  if (input.templateId && input.template) {
    throw new InputError("Specify either templateId or template, not both");
  }
  if (!input.templateId && !input.template) throw new InputError("templateId or template is required");
  if (input.templateId && !ctx.registry.templates.has(input.templateId)) {
    throw new InputError(`Template ${input.templateId} not found`);
  }

  const type = input.type ?? ENDPOINT_DEFAULTS.type;
  if (type !== "QB" && type !== "LB")
    throw new InputError(`type must be QB or LB, got ${JSON.stringify(type)}`);
  const workersMin = input.workersMin ?? ENDPOINT_DEFAULTS.workersMin;
  const workersMax = input.workersMax ?? ENDPOINT_DEFAULTS.workersMax;
  checkRange("workersMin", workersMin, 0, 1000);
  checkRange("workersMax", workersMax, 0, 1000);
  if (workersMin > workersMax) {
    throw new InputError(`workersMin (${workersMin}) cannot be greater than workersMax (${workersMax})`);
  }
  if (input.workersStandby !== undefined && input.workersStandby !== null) {
    checkRange("workersStandby", input.workersStandby, 0, workersMax);
  }
  const idleTimeout = input.idleTimeout ?? ENDPOINT_DEFAULTS.idleTimeout;
  checkRange("idleTimeout", idleTimeout, 1, 3600);
  const scalerType = input.scalerType ?? (type === "LB" ? "REQUEST_COUNT" : ENDPOINT_DEFAULTS.scalerType);
  if (scalerType !== "QUEUE_DELAY" && scalerType !== "REQUEST_COUNT") {
    throw new InputError(
      `scalerType must be QUEUE_DELAY or REQUEST_COUNT, got ${JSON.stringify(scalerType)}`,
    );
  }
  if (type === "LB" && scalerType === "QUEUE_DELAY") {
    throw new InputError("Load-balanced endpoints (type LB) scale by REQUEST_COUNT, not QUEUE_DELAY");
  }
  const scalerValue = input.scalerValue ?? ENDPOINT_DEFAULTS.scalerValue;
  checkRange("scalerValue", scalerValue, 1, 10_000);
  const executionTimeoutMs = input.executionTimeoutMs ?? ENDPOINT_DEFAULTS.executionTimeoutMs;
  checkRange("executionTimeoutMs", executionTimeoutMs, 0, 7 * 24 * 3600 * 1000);

  const instanceIds = (input.instanceIds ?? []).filter((i): i is string => typeof i === "string");
  for (const id of instanceIds) {
    if (!CPU_INSTANCE.test(id)) throw new InputError(`Unknown CPU instance id ${JSON.stringify(id)}`);
  }
  const gpuIds = instanceIds.length > 0 ? "" : (input.gpuIds ?? "").trim();
  // RunPod's docs list gpuIds as required; CPU endpoints send instanceIds instead (Python Flash).
  if (!gpuIds && instanceIds.length === 0) {
    throw new InputError("gpuIds is required (or instanceIds for a CPU endpoint)");
  }
  checkGpuIds(gpuIds);
  const gpuCount = input.gpuCount ?? ENDPOINT_DEFAULTS.gpuCount;
  checkRange("gpuCount", gpuCount, 1, 8);

  const flashEnvironmentId = input.flashEnvironmentId ?? null;
  const environment = flashEnvironmentId ? ctx.store.environments.get(flashEnvironmentId) : undefined;
  if (flashEnvironmentId && !environment) {
    throw new InputError(`Flash environment ${flashEnvironmentId} not found`);
  }

  if (input.networkVolumeId && !ctx.store.networkVolumes.has(input.networkVolumeId)) {
    throw new InputError(`Network volume ${input.networkVolumeId} not found`);
  }

  // Validated everything: only now create an inline template, so a rejected call leaves no trace.
  const templateId = input.templateId ?? createInlineTemplate(ctx, input.template!).id;

  const extra: Record<string, unknown> = {};
  for (const field of PASSTHROUGH_ENDPOINT_FIELDS) {
    if (input[field] !== undefined && input[field] !== null) extra[field] = input[field];
  }
  // RunPod keeps one standby worker unless told otherwise (runpod/flash#364); mirror that.
  extra.workersStandby ??= Math.min(1, workersMax);
  extra.version = previous ? nextVersion(previous, templateId) : 1;
  extra.activeBuildid = environment?.activeBuildId ?? null;

  const endpoint: EmulatedEndpoint = {
    id: previous?.id ?? newId(14),
    name,
    templateId,
    type,
    gpuIds,
    gpuCount,
    instanceIds,
    workersMin,
    workersMax,
    idleTimeout,
    scalerType,
    scalerValue,
    executionTimeoutMs,
    flashBootType: input.flashBootType ?? ENDPOINT_DEFAULTS.flashBootType,
    networkVolumeId: input.networkVolumeId ?? null,
    locations: input.locations ?? null,
    flashEnvironmentId,
    createdAt: previous?.createdAt ?? new Date().toISOString(),
    extra,
  };
  ctx.registry.saveEndpoint(endpoint);
  return endpointView(ctx, endpoint);
}

/** `deleteEndpoint(id)`: stops its workers. Like Python Flash expects, no need to scale to 0 first. */
export function deleteEndpoint(ctx: ResolverContext, id: string): null {
  if (!ctx.registry.deleteEndpoint(id)) throw new InputError(`Endpoint ${id} not found`);
  return null;
}

/** `updateEndpointTemplate(input: { endpointId, templateId })`. */
export function updateEndpointTemplate(
  ctx: ResolverContext,
  input: { endpointId: string; templateId: string },
): object {
  const endpoint = ctx.registry.endpoints.get(input.endpointId);
  if (!endpoint) throw new InputError(`Endpoint ${input.endpointId} not found`);
  if (!ctx.registry.templates.has(input.templateId))
    throw new InputError(`Template ${input.templateId} not found`);
  const updated: EmulatedEndpoint = {
    ...endpoint,
    templateId: input.templateId,
    extra: { ...endpoint.extra, version: nextVersion(endpoint, input.templateId) },
  };
  ctx.registry.saveEndpoint(updated);
  return endpointView(ctx, updated);
}

/** The GraphQL `Endpoint` object for a registry endpoint; nested fields resolve lazily. */
export function endpointView(ctx: ResolverContext, e: EmulatedEndpoint): object {
  return {
    ...e.extra,
    ...e,
    extra: undefined,
    gpuIds: e.instanceIds.length > 0 ? null : e.gpuIds,
    computeType: e.instanceIds.length > 0 ? "CPU" : "GPU",
    userId: EMULATOR_USER_ID,
    version: typeof e.extra.version === "number" ? e.extra.version : 1,
    template: () => podTemplate(ctx, e.templateId),
    env: () => ctx.registry.templates.get(e.templateId)?.env ?? [],
    networkVolume: () =>
      e.networkVolumeId ? (ctx.store.networkVolumes.get(e.networkVolumeId) ?? null) : null,
    pods: [],
  };
}

function createInlineTemplate(ctx: ResolverContext, input: TemplateFields): EmulatedTemplate {
  const template = buildTemplate(
    ctx,
    { ...input, isServerless: true, volumeInGb: input.volumeInGb ?? 0 },
    undefined,
  );
  return ctx.registry.saveTemplate(template);
}

function nextVersion(previous: EmulatedEndpoint, templateId: string): number {
  const version = typeof previous.extra.version === "number" ? previous.extra.version : 1;
  return templateId === previous.templateId ? version : version + 1;
}

/** RunPod bumps `version` of endpoints whose template changed (new workers get the new env). */
function bumpEndpointsUsing(ctx: ResolverContext, templateId: string): void {
  for (const e of [...ctx.registry.endpoints.values()]) {
    if (e.templateId !== templateId) continue;
    const version = typeof e.extra.version === "number" ? e.extra.version : 1;
    ctx.registry.saveEndpoint({ ...e, extra: { ...e.extra, version: version + 1 } });
  }
}

function checkGpuIds(gpuIds: string): void {
  if (!gpuIds) return;
  for (const raw of gpuIds.split(",")) {
    const token = raw.trim();
    // `-<GPU type id>` excludes one card type from the pools listed (Python Flash sends these).
    if (token.startsWith("-") && token.length > 1) continue;
    if (!GPU_POOLS.has(token)) {
      throw new InputError(
        `Unknown GPU pool id ${JSON.stringify(token)} in gpuIds; expected pool ids such as ADA_24,AMPERE_48`,
      );
    }
  }
}

function checkRange(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InputError(`${field} must be an integer between ${min} and ${max}, got ${value}`);
  }
}

function withoutNulls(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== null && v !== undefined));
}
