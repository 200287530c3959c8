import { z } from "zod";

/**
 * Wire formats of RunPod's GraphQL control plane (`POST https://api.runpod.io/graphql`), declared once
 * and shared by the client (`src/cloud`) and the emulator's tests. Response schemas are lenient where
 * RunPod is (most fields may come back `null`), strict where Flash relies on a value (`id`, `name`).
 * Field names are RunPod's, as the official clients send and select them.
 */

// ---------------------------------------------------------------------------------------------
// The GraphQL envelope
// ---------------------------------------------------------------------------------------------

/** One entry of a GraphQL `errors` array; RunPod sends `message` and usually `path`. */
export const GraphqlErrorSchema = z.object({
  message: z.string(),
  path: z.array(z.union([z.string(), z.number()])).optional(),
  extensions: z.record(z.string(), z.unknown()).optional(),
});
export type GraphqlErrorEntry = z.infer<typeof GraphqlErrorSchema>;

/** The body of every GraphQL response: `data`, `errors`, or both. */
export const GraphqlResponseSchema = z.object({
  data: z.record(z.string(), z.unknown()).nullish(),
  errors: z.array(GraphqlErrorSchema).optional(),
});

// ---------------------------------------------------------------------------------------------
// Templates
// ---------------------------------------------------------------------------------------------

/** RunPod's env representation: a list of key/value pairs, never a map. */
export const EnvVarSchema = z.object({ key: z.string(), value: z.string() });
export type EnvVar = z.infer<typeof EnvVarSchema>;

/** A template as `saveTemplate` and `podTemplate` return it. */
export const TemplateSchema = z.object({
  id: z.string(),
  name: z.string(),
  imageName: z.string().nullish(),
  containerDiskInGb: z.number().nullish(),
  dockerArgs: z.string().nullish(),
  containerRegistryAuthId: z.string().nullish(),
  env: z.array(EnvVarSchema).nullish(),
  readme: z.string().nullish(),
  isServerless: z.boolean().nullish(),
  volumeInGb: z.number().nullish(),
});
export type TemplateRecord = z.infer<typeof TemplateSchema>;

/** Input of `saveTemplate(input: SaveTemplateInput)`; with `id` it updates that template. */
export interface SaveTemplateInput {
  id?: string;
  name: string;
  imageName: string;
  containerDiskInGb: number;
  /** 0 for serverless templates. */
  volumeInGb: number;
  dockerArgs?: string;
  /** RunPod requires the list even when empty. */
  env: EnvVar[];
  isServerless?: boolean;
  ports?: string;
  readme?: string;
  containerRegistryAuthId?: string;
  volumeMountPath?: string;
  startSsh?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Endpoints
// ---------------------------------------------------------------------------------------------

/** An endpoint as `saveEndpoint` and `myself { endpoints }` return it (fields Flash selects). */
export const EndpointSchema = z.object({
  id: z.string(),
  name: z.string(),
  templateId: z.string().nullish(),
  type: z.string().nullish(),
  gpuIds: z.string().nullish(),
  gpuCount: z.number().nullish(),
  instanceIds: z.array(z.string()).nullish(),
  workersMin: z.number().nullish(),
  workersMax: z.number().nullish(),
  workersStandby: z.number().nullish(),
  idleTimeout: z.number().nullish(),
  scalerType: z.string().nullish(),
  scalerValue: z.number().nullish(),
  executionTimeoutMs: z.number().nullish(),
  flashBootType: z.string().nullish(),
  networkVolumeId: z.string().nullish(),
  networkVolumeIds: z
    .array(z.object({ networkVolumeId: z.string(), dataCenterId: z.string().nullish() }))
    .nullish(),
  locations: z.string().nullish(),
  allowedCudaVersions: z.string().nullish(),
  minCudaVersion: z.string().nullish(),
  flashEnvironmentId: z.string().nullish(),
  userId: z.string().nullish(),
  version: z.number().nullish(),
});
export type EndpointRecord = z.infer<typeof EndpointSchema>;

/** The template fields `saveEndpoint` accepts inline (instead of `templateId`). */
export interface EndpointTemplateInput {
  name: string;
  imageName: string;
  containerDiskInGb: number;
  dockerArgs?: string;
  env: EnvVar[];
  ports?: string;
  startScript?: string;
  advancedStart?: boolean;
  containerRegistryAuthId?: string;
}

/**
 * Input of `saveEndpoint(input: EndpointInput!)`. Without `id` it creates; with `id` it replaces the
 * whole endpoint: any field left out goes back to RunPod's default, so updates must send everything.
 */
export interface EndpointInput {
  id?: string;
  name: string;
  /** Exactly one of `templateId` and `template`. */
  templateId?: string;
  template?: EndpointTemplateInput;
  type?: "QB" | "LB";
  /** Comma-separated GPU pool ids (`ADA_24,AMPERE_48`); omitted for CPU endpoints. */
  gpuIds?: string;
  gpuCount?: number;
  /** CPU endpoints: instance ids such as `cpu3c-2-4`. */
  instanceIds?: string[];
  workersMin?: number;
  workersMax?: number;
  /**
   * Send it equal to `workersMin`: when absent RunPod applies its own default (1), keeping a worker
   * warm on endpoints meant to scale to zero (runpod/flash#364).
   */
  workersStandby?: number;
  idleTimeout?: number;
  scalerType?: "QUEUE_DELAY" | "REQUEST_COUNT";
  scalerValue?: number;
  executionTimeoutMs?: number;
  flashBootType?: "FLASHBOOT" | "OFF";
  networkVolumeId?: string;
  /** Comma-separated data-center ids; empty means anywhere. */
  locations?: string;
  allowedCudaVersions?: string;
  minCudaVersion?: string;
  flashEnvironmentId?: string;
}

// ---------------------------------------------------------------------------------------------
// Flash apps, environments, builds
// ---------------------------------------------------------------------------------------------

/** A flash environment as the flash queries return it. */
export const FlashEnvironmentSchema = z.object({
  id: z.string(),
  name: z.string(),
  state: z.string().nullish(),
  activeBuildId: z.string().nullish(),
  createdAt: z.string().nullish(),
  endpoints: z.array(z.object({ id: z.string(), name: z.string() })).nullish(),
  networkVolumes: z.array(z.object({ id: z.string(), name: z.string() })).nullish(),
});
export type FlashEnvironmentRecord = z.infer<typeof FlashEnvironmentSchema>;

/** A build as listed under an app (`flashBuilds`). */
export const FlashBuildSummarySchema = z.object({
  id: z.string(),
  objectKey: z.string().nullish(),
  createdAt: z.string().nullish(),
});

/** A build with its manifest (`flashBuild`, `finalizeFlashArtifactUpload`, `updateFlashBuildManifest`). */
export const FlashBuildSchema = z.object({
  id: z.string(),
  manifest: z.unknown(),
});
export type FlashBuildRecord = z.infer<typeof FlashBuildSchema>;

/** A flash app with its environments and builds. */
export const FlashAppSchema = z.object({
  id: z.string(),
  name: z.string(),
  flashEnvironments: z.array(FlashEnvironmentSchema).nullish(),
  flashBuilds: z.array(FlashBuildSummarySchema).nullish(),
});
export type FlashAppRecord = z.infer<typeof FlashAppSchema>;

/** `prepareFlashArtifactUpload` result: where to PUT the tarball. `uploadUrl` is a credential. */
export const ArtifactUploadSchema = z.object({
  uploadUrl: z.string(),
  objectKey: z.string(),
  expiresAt: z.string().nullish(),
});
export type ArtifactUpload = z.infer<typeof ArtifactUploadSchema>;

/** `deployBuildToEnvironment` result: the environment with its now-active artifact. */
export const DeployedEnvironmentSchema = z.object({
  id: z.string(),
  name: z.string(),
  activeArtifact: z
    .object({
      objectKey: z.string(),
      downloadUrl: z.string().nullish(),
      expiresAt: z.string().nullish(),
    })
    .nullish(),
});
export type DeployedEnvironment = z.infer<typeof DeployedEnvironmentSchema>;

/** A network volume (`myself { networkVolumes }`, `createNetworkVolume`). */
export const NetworkVolumeSchema = z.object({
  id: z.string(),
  name: z.string(),
  size: z.number().nullish(),
  dataCenterId: z.string().nullish(),
});
export type NetworkVolumeRecord = z.infer<typeof NetworkVolumeSchema>;

/** `myself { id }` — who the key belongs to. */
export const UserSchema = z.object({ id: z.string() });
