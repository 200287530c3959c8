import type {
  EndpointInput,
  EndpointRecord,
  EnvVar,
  SaveTemplateInput,
  TemplateRecord,
} from "../shared/schemas/control-plane.ts";

/**
 * Desired versus actual, field by field, so a deploy with no changes sends nothing and one with
 * changes says which fields changed (names only: env values may be secrets and are never shown).
 */

/** Env keys RunPod sets on load-balanced templates itself (once, at creation); never ours to remove. */
export const PLATFORM_ENV_KEYS = new Set(["PORT", "PORT_HEALTH"]);

const ENDPOINT_FIELDS = [
  "name",
  "templateId",
  "type",
  "gpuIds",
  "gpuCount",
  "instanceIds",
  "workersMin",
  "workersMax",
  "workersStandby",
  "idleTimeout",
  "scalerType",
  "scalerValue",
  "executionTimeoutMs",
  "flashBootType",
  "networkVolumeId",
  "locations",
  "flashEnvironmentId",
] as const satisfies readonly (keyof EndpointInput & keyof EndpointRecord)[];

/** Fields compared as unordered comma-separated sets. */
const SET_FIELDS = new Set<string>(["gpuIds", "instanceIds", "locations"]);

/** The endpoint fields whose actual value differs from the desired one. */
export function endpointChanges(desired: EndpointInput, actual: EndpointRecord): string[] {
  const cpu = desired.instanceIds !== undefined && desired.instanceIds.length > 0;
  return ENDPOINT_FIELDS.filter((field) => {
    // A CPU endpoint's GPU fields are whatever RunPod defaults them to.
    if (cpu && (field === "gpuIds" || field === "gpuCount")) return false;
    return !same(normalize(field, desired[field]), normalize(field, actual[field]));
  });
}

/** The template fields whose actual value differs; env differences are named `env.KEY`. */
export function templateChanges(desired: SaveTemplateInput, actual: TemplateRecord): string[] {
  const changes: string[] = [];
  if (desired.name !== actual.name) changes.push("name");
  if (desired.imageName !== (actual.imageName ?? "")) changes.push("imageName");
  if (desired.containerDiskInGb !== actual.containerDiskInGb) changes.push("containerDiskInGb");
  if ((desired.dockerArgs ?? "") !== (actual.dockerArgs ?? "")) changes.push("dockerArgs");
  if ((desired.containerRegistryAuthId ?? "") !== (actual.containerRegistryAuthId ?? "")) {
    changes.push("containerRegistryAuthId");
  }
  const want = envMap(desired.env);
  const have = envMap(actual.env ?? []);
  for (const key of new Set([...want.keys(), ...have.keys()])) {
    if (!want.has(key) && PLATFORM_ENV_KEYS.has(key)) continue;
    if (want.get(key) !== have.get(key)) changes.push(`env.${key}`);
  }
  return changes;
}

/** The env to save: the desired one, keeping what the platform set on the template itself. */
export function mergePlatformEnv(
  desired: readonly EnvVar[],
  actual: readonly EnvVar[] | null | undefined,
): EnvVar[] {
  const keys = new Set(desired.map((e) => e.key));
  const kept = (actual ?? []).filter((e) => PLATFORM_ENV_KEYS.has(e.key) && !keys.has(e.key));
  return [...desired, ...kept];
}

function envMap(env: readonly EnvVar[]): Map<string, string> {
  return new Map(env.map((e) => [e.key, e.value]));
}

function normalize(field: string, value: unknown): unknown {
  if (value === null || value === undefined || value === "") return undefined;
  if (SET_FIELDS.has(field)) {
    const list = Array.isArray(value) ? value.map(String) : String(value).split(",");
    const items = list.map((s) => s.trim()).filter(Boolean);
    return items.length === 0 ? undefined : [...new Set(items)].sort().join(",");
  }
  return value;
}

function same(a: unknown, b: unknown): boolean {
  return a === b;
}
