import { FlashError } from "../shared/errors.ts";
import { didYouMean } from "../shared/suggest.ts";
import {
  CpuInstanceType,
  DataCenter,
  type GpuGroup,
  GpuGroup as GpuGroups,
  GpuType,
  ScalerType,
} from "./enums.ts";

/** The resource classes Flash knows, by the name the manifest records as `resource_type`. */
export const RESOURCE_TYPES = [
  "LiveServerless",
  "CpuLiveServerless",
  "LiveLoadBalancer",
  "CpuLiveLoadBalancer",
  "ServerlessEndpoint",
  "CpuServerlessEndpoint",
] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** What each resource class is: load-balanced or queue-based, CPU or GPU, Flash image or the user's. */
export const resourceTraits = {
  LiveServerless: { loadBalanced: false, cpu: false, ownImage: false },
  CpuLiveServerless: { loadBalanced: false, cpu: true, ownImage: false },
  LiveLoadBalancer: { loadBalanced: true, cpu: false, ownImage: false },
  CpuLiveLoadBalancer: { loadBalanced: true, cpu: true, ownImage: false },
  ServerlessEndpoint: { loadBalanced: false, cpu: false, ownImage: true },
  CpuServerlessEndpoint: { loadBalanced: false, cpu: true, ownImage: true },
} as const satisfies Record<ResourceType, { loadBalanced: boolean; cpu: boolean; ownImage: boolean }>;

/** Options of a network volume attached to an endpoint. */
export interface NetworkVolumeOptions {
  /** Volume name; volumes are found by name and data center, so the same name reuses one volume. */
  name: string;
  /** Size in GB. @default 100 */
  size?: number;
  /** Where the volume lives; the endpoint is pinned there. @default "EU-RO-1" */
  dataCenter?: DataCenter;
}

/** A RunPod network volume, mounted at `/runpod-volume` on every worker of the endpoint using it. */
export class NetworkVolume {
  readonly name: string;
  readonly size: number;
  readonly dataCenter: DataCenter;

  constructor(options: NetworkVolumeOptions) {
    const o = checkObject("NetworkVolume", options, ["name", "size", "dataCenter"]);
    this.name = checkName("NetworkVolume", o.name);
    this.size = o.size === undefined ? 100 : checkInt("NetworkVolume", "size", o.size, 1, 4000);
    this.dataCenter =
      o.dataCenter === undefined
        ? DataCenter.EU_RO_1
        : checkOneOf("NetworkVolume", "dataCenter", o.dataCenter, Object.values(DataCenter));
  }

  toJSON(): { name: string; size: number; dataCenter: DataCenter } {
    return { name: this.name, size: this.size, dataCenter: this.dataCenter };
  }
}

/**
 * Options shared by every resource config. Names mirror RunPod's endpoint fields.
 * @example new LiveServerless({ gpus: [GpuGroup.ADA_24], workersMax: 2, idleTimeout: 30 })
 */
export interface ServerlessOptions {
  /** Endpoint name on RunPod. @default the resource name derived from the file path */
  name?: string;
  /** GPU pools or types, in order of preference (GPU classes only). @default [GpuGroup.ANY] */
  gpus?: readonly (GpuGroup | GpuType)[];
  /** GPUs per worker, 1–8 (GPU classes only). @default 1 */
  gpuCount?: number;
  /** CPU instance types (CPU classes only). @default ["cpu3g-2-8"] */
  instanceIds?: readonly CpuInstanceType[];
  /** Workers kept running even when idle, 0–100. @default 0 */
  workersMin?: number;
  /** Upper bound of workers, 1–100, at least `workersMin`. @default 3 */
  workersMax?: number;
  /** Seconds an idle worker stays up, 1–3600. @default 5 */
  idleTimeout?: number;
  /** Autoscaling rule. @default "QUEUE_DELAY" (queue-based), "REQUEST_COUNT" (load-balanced) */
  scalerType?: ScalerType;
  /** Seconds of queue delay, or requests per worker, before scaling up; 1–1000. @default 4 */
  scalerValue?: number;
  /** A job running longer than this fails as TIMED_OUT; 1 ms – 7 days. @default 600000 */
  executionTimeoutMs?: number;
  /** RunPod FlashBoot (faster cold starts). @default true */
  flashboot?: boolean;
  /**
   * Environment variables set on every worker. Only these reach the endpoint; `.env` is not copied.
   * `process.env.X` values are read at deploy time; an `undefined` value (X unset where the config is
   * evaluated, e.g. in another endpoint's worker that imports this file to call it) is left out.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** A network volume mounted at `/runpod-volume`. */
  networkVolume?: NetworkVolume;
  /** Data centers the workers may run in. @default any */
  dataCenters?: readonly DataCenter[];
  /** Container image (ServerlessEndpoint / CpuServerlessEndpoint only, where it is required). */
  imageName?: string;
  /**
   * RunPod's id of the registry credentials for a private `imageName` (Settings → Container
   * Registry Auth). ServerlessEndpoint / CpuServerlessEndpoint only.
   */
  containerRegistryAuthId?: string;
  /** Container disk in GB, 1–1000 (CPU: at most the instance type's limit). @default 64 (GPU), the CPU limit (CPU) */
  containerDiskInGb?: number;
}

/** A config after validation and defaults: what the manifest records and deploy sends. */
export interface ResolvedConfig {
  resourceType: ResourceType;
  name?: string;
  gpus?: (GpuGroup | GpuType)[];
  gpuCount?: number;
  instanceIds?: CpuInstanceType[];
  workersMin: number;
  workersMax: number;
  idleTimeout: number;
  scalerType: ScalerType;
  scalerValue: number;
  executionTimeoutMs: number;
  flashboot: boolean;
  env: Record<string, string>;
  networkVolume?: { name: string; size: number; dataCenter: DataCenter };
  dataCenters?: DataCenter[];
  imageName?: string;
  containerRegistryAuthId?: string;
  containerDiskInGb: number;
}

const OPTION_KEYS = [
  "name",
  "gpus",
  "gpuCount",
  "instanceIds",
  "workersMin",
  "workersMax",
  "idleTimeout",
  "scalerType",
  "scalerValue",
  "executionTimeoutMs",
  "flashboot",
  "env",
  "networkVolume",
  "dataCenters",
  "imageName",
  "containerRegistryAuthId",
  "containerDiskInGb",
] as const satisfies readonly (keyof ServerlessOptions)[];

const GPU_VALUES: readonly string[] = [...Object.values(GpuGroups), ...Object.values(GpuType)];
const CPU_VALUES: readonly string[] = Object.values(CpuInstanceType);

/** Max container disk per vCPU, by CPU flavor (RunPod's limits). */
const DISK_GB_PER_VCPU: Readonly<Record<string, number>> = { cpu3g: 10, cpu3c: 10, cpu5c: 15 };

/** Largest container disk the listed CPU instance types allow (the smallest of their limits). */
export function cpuDiskLimitGb(instanceIds: readonly string[]): number {
  let limit = Number.POSITIVE_INFINITY;
  for (const id of instanceIds) {
    const [flavor = "", vcpu = "1"] = id.split("-");
    limit = Math.min(limit, (DISK_GB_PER_VCPU[flavor] ?? 10) * Number(vcpu));
  }
  return limit;
}

/**
 * Validates options for a resource type and fills in defaults. Used by the config classes at
 * construction and by the scanner on configs it reads from source, so both give the same errors.
 * @throws FlashError CONFIG_INVALID naming the field, the value and what is allowed
 */
export function resolveConfig(resourceType: ResourceType, options: unknown): ResolvedConfig {
  const where = resourceType;
  const traits = resourceTraits[resourceType];
  const o = checkObject(where, options ?? {}, OPTION_KEYS);
  const resolved: ResolvedConfig = {
    resourceType,
    workersMin: o.workersMin === undefined ? 0 : checkInt(where, "workersMin", o.workersMin, 0, 100),
    workersMax: o.workersMax === undefined ? 3 : checkInt(where, "workersMax", o.workersMax, 1, 100),
    idleTimeout: o.idleTimeout === undefined ? 5 : checkInt(where, "idleTimeout", o.idleTimeout, 1, 3600),
    scalerType:
      o.scalerType === undefined
        ? traits.loadBalanced
          ? ScalerType.REQUEST_COUNT
          : ScalerType.QUEUE_DELAY
        : checkOneOf(where, "scalerType", o.scalerType, Object.values(ScalerType)),
    scalerValue: o.scalerValue === undefined ? 4 : checkInt(where, "scalerValue", o.scalerValue, 1, 1000),
    executionTimeoutMs:
      o.executionTimeoutMs === undefined
        ? 600_000
        : checkInt(where, "executionTimeoutMs", o.executionTimeoutMs, 1, 7 * 24 * 3600 * 1000),
    flashboot: o.flashboot === undefined ? true : checkBool(where, "flashboot", o.flashboot),
    env: o.env === undefined ? {} : checkEnv(where, o.env),
    containerDiskInGb: 64,
  };
  if (o.name !== undefined) resolved.name = checkName(where, o.name);
  if (resolved.workersMin > resolved.workersMax) {
    throw invalid(
      where,
      "workersMin",
      resolved.workersMin,
      `at most workersMax (${resolved.workersMax}); raise workersMax or lower workersMin`,
    );
  }
  if (traits.loadBalanced && resolved.scalerType !== ScalerType.REQUEST_COUNT) {
    throw invalid(
      where,
      "scalerType",
      resolved.scalerType,
      `"REQUEST_COUNT" (load-balanced endpoints scale by requests)`,
    );
  }
  if (traits.cpu) {
    if (o.gpus !== undefined) throw notFor(where, "gpus", "CPU endpoints; choose machines with instanceIds");
    if (o.gpuCount !== undefined) throw notFor(where, "gpuCount", "CPU endpoints");
    resolved.instanceIds =
      o.instanceIds === undefined
        ? [CpuInstanceType.CPU3G_2_8]
        : (checkList(where, "instanceIds", o.instanceIds, CPU_VALUES) as CpuInstanceType[]);
    const limit = cpuDiskLimitGb(resolved.instanceIds);
    resolved.containerDiskInGb =
      o.containerDiskInGb === undefined
        ? limit
        : checkInt(where, "containerDiskInGb", o.containerDiskInGb, 1, limit);
  } else {
    if (o.instanceIds !== undefined)
      throw notFor(where, "instanceIds", "GPU endpoints; use a Cpu* class for CPU");
    resolved.gpus =
      o.gpus === undefined
        ? [GpuGroups.ANY]
        : (checkList(where, "gpus", o.gpus, GPU_VALUES) as (GpuGroup | GpuType)[]);
    resolved.gpuCount = o.gpuCount === undefined ? 1 : checkInt(where, "gpuCount", o.gpuCount, 1, 8);
    if (o.containerDiskInGb !== undefined) {
      resolved.containerDiskInGb = checkInt(where, "containerDiskInGb", o.containerDiskInGb, 1, 1000);
    }
  }
  if (o.networkVolume !== undefined) {
    if (!(o.networkVolume instanceof NetworkVolume) && !isVolumeShape(o.networkVolume)) {
      throw invalid(where, "networkVolume", o.networkVolume, "a NetworkVolume (new NetworkVolume({ name }))");
    }
    const volume =
      o.networkVolume instanceof NetworkVolume ? o.networkVolume : new NetworkVolume(o.networkVolume);
    resolved.networkVolume = volume.toJSON();
  }
  if (o.dataCenters !== undefined) {
    resolved.dataCenters = checkList(
      where,
      "dataCenters",
      o.dataCenters,
      Object.values(DataCenter),
    ) as DataCenter[];
    const volumeDc = resolved.networkVolume?.dataCenter;
    if (volumeDc !== undefined && !resolved.dataCenters.includes(volumeDc)) {
      throw invalid(
        where,
        "dataCenters",
        resolved.dataCenters,
        `a list including the network volume's "${volumeDc}"`,
      );
    }
  }
  if (traits.ownImage) {
    if (o.imageName === undefined) {
      throw new FlashError(
        "CONFIG_INVALID",
        `${where}: imageName is required (the container image to run).`,
        {
          hint: "Use LiveServerless / CpuLiveServerless to run on Flash's own worker image.",
        },
      );
    }
    resolved.imageName = checkString(where, "imageName", o.imageName);
    if (o.containerRegistryAuthId !== undefined) {
      resolved.containerRegistryAuthId = checkString(
        where,
        "containerRegistryAuthId",
        o.containerRegistryAuthId,
      );
    }
  } else if (o.containerRegistryAuthId !== undefined) {
    throw notFor(
      where,
      "containerRegistryAuthId",
      `${where} (it runs public images); use ServerlessEndpoint with imageName for a private registry`,
    );
  } else if (o.imageName !== undefined) {
    throw notFor(
      where,
      "imageName",
      `${where} (it runs Flash's worker image); use ServerlessEndpoint to bring your own`,
    );
  }
  return resolved;
}

function isVolumeShape(v: unknown): v is NetworkVolumeOptions {
  return typeof v === "object" && v !== null && typeof (v as { name?: unknown }).name === "string";
}

function show(value: unknown): string {
  try {
    return typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}

function invalid(where: string, field: string, value: unknown, allowed: string): FlashError {
  return new FlashError("CONFIG_INVALID", `${where}: invalid ${field} ${show(value)}; expected ${allowed}.`);
}

function notFor(where: string, field: string, what: string): FlashError {
  return new FlashError("CONFIG_INVALID", `${where}: ${field} is not used by ${what}.`);
}

function checkObject<K extends string>(
  where: string,
  value: unknown,
  keys: readonly K[],
): Partial<Record<K, unknown>> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid(where, "options", value, "an object");
  }
  for (const key of Object.keys(value)) {
    if (!(keys as readonly string[]).includes(key)) {
      throw new FlashError(
        "CONFIG_INVALID",
        `${where}: unknown option "${key}"${didYouMean(key, keys)}; allowed options: ${keys.join(", ")}.`,
      );
    }
  }
  return value as Partial<Record<K, unknown>>;
}

function checkInt(where: string, field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(where, field, value, `an integer from ${min} to ${max}`);
  }
  return value;
}

function checkBool(where: string, field: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw invalid(where, field, value, "true or false");
  return value;
}

function checkString(where: string, field: string, value: unknown): string {
  if (typeof value !== "string" || value.trim() === "")
    throw invalid(where, field, value, "a non-empty string");
  return value;
}

function checkName(where: string, value: unknown): string {
  if (typeof value !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(value)) {
    throw invalid(
      where,
      "name",
      value,
      "1–64 letters, digits, '_', '-' or '.', starting with a letter or digit",
    );
  }
  return value;
}

function checkOneOf<T extends string>(
  where: string,
  field: string,
  value: unknown,
  allowed: readonly T[],
): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw invalid(where, field, value, `one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`);
  }
  return value as T;
}

function checkList(where: string, field: string, value: unknown, allowed: readonly string[]): string[] {
  if (!Array.isArray(value) || value.length === 0) throw invalid(where, field, value, "a non-empty array");
  const out: string[] = [];
  for (const item of value) {
    if (typeof item !== "string" || !allowed.includes(item)) {
      const shown = allowed.length > 14 ? `${allowed.slice(0, 14).join(", ")}, ...` : allowed.join(", ");
      throw invalid(where, field, item, `values from: ${shown}`);
    }
    if (!out.includes(item)) out.push(item);
  }
  return out;
}

function checkEnv(where: string, value: unknown): Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid(where, "env", value, "an object of string values");
  }
  const env: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw invalid(where, `env key`, key, "a valid variable name");
    if (v === undefined) continue;
    if (typeof v !== "string") throw invalid(where, `env.${key}`, v, "a string");
    env[key] = v;
  }
  return env;
}

/** Base of every resource config class. Construct one of the subclasses. */
export abstract class ResourceConfig {
  /** The class name, as the manifest's `resource_type`. */
  abstract readonly resourceType: ResourceType;
  /** The validated options with defaults applied. */
  readonly resolved: ResolvedConfig;

  protected constructor(resourceType: ResourceType, options: ServerlessOptions | undefined) {
    this.resolved = resolveConfig(resourceType, options);
  }

  /** True for load-balanced (HTTP route) endpoints, false for queue-based ones. */
  get isLoadBalanced(): boolean {
    return resourceTraits[this.resourceType].loadBalanced;
  }

  /** The configured endpoint name, if one was given. */
  get name(): string | undefined {
    return this.resolved.name;
  }
}

/** A queue-based GPU endpoint running Flash's worker image. */
export class LiveServerless extends ResourceConfig {
  readonly resourceType = "LiveServerless";
  constructor(options?: ServerlessOptions) {
    super("LiveServerless", options);
  }
}

/** A queue-based CPU endpoint running Flash's worker image. */
export class CpuLiveServerless extends ResourceConfig {
  readonly resourceType = "CpuLiveServerless";
  constructor(options?: ServerlessOptions) {
    super("CpuLiveServerless", options);
  }
}

/** A load-balanced GPU endpoint: HTTP routes served directly by its workers. */
export class LiveLoadBalancer extends ResourceConfig {
  readonly resourceType = "LiveLoadBalancer";
  constructor(options?: ServerlessOptions) {
    super("LiveLoadBalancer", options);
  }
}

/** A load-balanced CPU endpoint: HTTP routes served directly by its workers. */
export class CpuLiveLoadBalancer extends ResourceConfig {
  readonly resourceType = "CpuLiveLoadBalancer";
  constructor(options?: ServerlessOptions) {
    super("CpuLiveLoadBalancer", options);
  }
}

/** A queue-based GPU endpoint running your own image (`imageName` required). */
export class ServerlessEndpoint extends ResourceConfig {
  readonly resourceType = "ServerlessEndpoint";
  constructor(options: ServerlessOptions & { imageName: string }) {
    super("ServerlessEndpoint", options);
  }
}

/** A queue-based CPU endpoint running your own image (`imageName` required). */
export class CpuServerlessEndpoint extends ResourceConfig {
  readonly resourceType = "CpuServerlessEndpoint";
  constructor(options: ServerlessOptions & { imageName: string }) {
    super("CpuServerlessEndpoint", options);
  }
}
