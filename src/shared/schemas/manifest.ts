import { z } from "zod";

/**
 * `.flash/manifest.json`, written by `flash build` and read by deploy, the emulator and the worker
 * runtime. The layout is PRD section 10's, plus `config`: the resource's validated config.
 */
export const ManifestFunction = z.union([
  z.string(),
  z.object({
    name: z.string(),
    http_method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]),
    http_path: z.string(),
  }),
]);
export type ManifestFunction = z.infer<typeof ManifestFunction>;

export const ManifestConfig = z
  .object({
    resourceType: z.string(),
    /** Endpoint name on RunPod (the config's `name`, else the resource name). */
    name: z.string(),
    workersMin: z.number(),
    workersMax: z.number(),
    idleTimeout: z.number(),
    scalerType: z.string(),
    scalerValue: z.number(),
    executionTimeoutMs: z.number(),
    flashboot: z.boolean(),
    env: z.record(z.string(), z.string()),
    containerDiskInGb: z.number(),
    gpus: z.array(z.string()).optional(),
    gpuCount: z.number().optional(),
    instanceIds: z.array(z.string()).optional(),
    networkVolume: z.object({ name: z.string(), size: z.number(), dataCenter: z.string() }).optional(),
    dataCenters: z.array(z.string()).optional(),
    imageName: z.string().optional(),
    /** npm specs the worker installs (union over the resource's functions). */
    dependencies: z.array(z.string()),
    /** apt packages the worker installs (union over the resource's functions). */
    systemDependencies: z.array(z.string()),
    /** Resource names of the QB resources this one calls. */
    calls: z.array(z.string()),
  })
  .loose();
export type ManifestConfig = z.infer<typeof ManifestConfig>;

export const ManifestResource = z.object({
  resource_type: z.string(),
  file_path: z.string(),
  local_path_prefix: z.string(),
  module_path: z.string(),
  functions: z.array(ManifestFunction),
  is_load_balanced: z.boolean(),
  makes_remote_calls: z.boolean(),
  config: ManifestConfig,
});
export type ManifestResource = z.infer<typeof ManifestResource>;

export const Manifest = z.object({
  version: z.literal("1.0"),
  project_name: z.string(),
  resources: z.record(z.string(), ManifestResource),
});
export type Manifest = z.infer<typeof Manifest>;
