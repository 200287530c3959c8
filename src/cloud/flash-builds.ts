import { z } from "zod";
import { FlashError } from "../shared/errors.ts";
import {
  type ArtifactUpload,
  ArtifactUploadSchema,
  type DeployedEnvironment,
  DeployedEnvironmentSchema,
  type FlashBuildRecord,
  FlashBuildSchema,
} from "../shared/schemas/control-plane.ts";
import { type GraphqlClient, mutation, query } from "./graphql-client.ts";
import { type HttpOptions, sendRequest } from "./http.ts";

/**
 * Flash builds: the artifact upload (prepare → PUT → finalize), build manifests, and making a build
 * the active one of an environment — the sequence RunPod's Python Flash runs on deploy.
 */

const prepareUploadMutation = mutation(
  "prepareFlashArtifactUpload",
  `mutation PrepareArtifactUpload($input: PrepareFlashArtifactUploadInput!) {
    prepareFlashArtifactUpload(input: $input) { uploadUrl objectKey expiresAt } }`,
  z.object({ prepareFlashArtifactUpload: ArtifactUploadSchema }),
);

const finalizeUploadMutation = mutation(
  "finalizeFlashArtifactUpload",
  `mutation FinalizeArtifactUpload($input: FinalizeFlashArtifactUploadInput!) {
    finalizeFlashArtifactUpload(input: $input) { id manifest } }`,
  z.object({ finalizeFlashArtifactUpload: FlashBuildSchema }),
);

const getFlashBuildQuery = query(
  "getFlashBuild",
  `query getFlashBuild($input: String!) { flashBuild(flashBuildId: $input) { id manifest } }`,
  z.object({ flashBuild: FlashBuildSchema.nullish() }),
);

const listFlashBuildsQuery = query(
  "listFlashBuilds",
  `query listFlashBuilds($flashAppId: String!) {
    flashApp(flashAppId: $flashAppId) { flashBuilds { id objectKey createdAt } } }`,
  z.object({
    flashApp: z.object({
      flashBuilds: z
        .array(z.object({ id: z.string(), objectKey: z.string().nullish(), createdAt: z.string().nullish() }))
        .nullish(),
    }),
  }),
);

// Replacing a manifest with the same manifest, or activating the same build, changes nothing: safe to retry.
const updateManifestMutation = mutation(
  "updateFlashBuildManifest",
  `mutation updateFlashBuildManifest($input: UpdateFlashBuildManifestInput!) {
    updateFlashBuildManifest(input: $input) { id manifest } }`,
  z.object({ updateFlashBuildManifest: FlashBuildSchema }),
  { idempotent: true },
);

const deployBuildMutation = mutation(
  "deployBuildToEnvironment",
  `mutation deployBuildToEnvironment($input: DeployBuildToEnvironmentInput!) {
    deployBuildToEnvironment(input: $input) { id name activeArtifact { objectKey downloadUrl expiresAt } } }`,
  z.object({ deployBuildToEnvironment: DeployedEnvironmentSchema }),
  { idempotent: true },
);

type Signal = { signal?: AbortSignal };

/** RunPod's cap on an artifact (Python Flash's limit). */
export const MAX_ARTIFACT_BYTES = 1500 * 1024 * 1024;

/** Asks for a presigned URL to upload a tarball of `tarballSize` bytes. `uploadUrl` is a credential. */
export async function prepareArtifactUpload(
  client: GraphqlClient,
  input: { flashAppId: string; tarballSize: number },
  options: Signal = {},
): Promise<ArtifactUpload> {
  return (await client.request(prepareUploadMutation, { input }, options)).prepareFlashArtifactUpload;
}

/**
 * PUTs the artifact to its presigned URL (no API key: the URL carries its own auth). Retried on
 * 429/5xx/network errors, as PUT of the same bytes is idempotent. The URL never appears in errors.
 */
export async function uploadArtifact(
  upload: Pick<ArtifactUpload, "uploadUrl">,
  bytes: Uint8Array,
  options: HttpOptions & Signal = {},
): Promise<void> {
  if (bytes.byteLength > MAX_ARTIFACT_BYTES) {
    throw new FlashError(
      "PAYLOAD_TOO_LARGE",
      `The artifact is ${Math.round(bytes.byteLength / 1024 / 1024)} MB; RunPod accepts at most 1500 MB.`,
    );
  }
  const { signal, ...http } = options;
  await sendRequest(
    {
      operation: "artifact upload",
      url: upload.uploadUrl,
      method: "PUT",
      headers: { "content-type": "application/gzip" },
      body: bytes,
      idempotent: true,
      authErrors: false,
      signal,
    },
    { timeoutMs: 600_000, ...http },
  );
}

/** Registers an uploaded artifact as a new build of the app, with its manifest. */
export async function finalizeArtifactUpload(
  client: GraphqlClient,
  input: { flashAppId: string; objectKey: string; manifest: unknown },
  options: Signal = {},
): Promise<FlashBuildRecord> {
  return (await client.request(finalizeUploadMutation, { input }, options)).finalizeFlashArtifactUpload;
}

/** The build with this id and its manifest, or undefined. */
export async function getFlashBuild(
  client: GraphqlClient,
  flashBuildId: string,
  options: Signal = {},
): Promise<FlashBuildRecord | undefined> {
  return (await client.request(getFlashBuildQuery, { input: flashBuildId }, options)).flashBuild ?? undefined;
}

/** The builds of an app, newest last as RunPod lists them. */
export async function listFlashBuilds(
  client: GraphqlClient,
  flashAppId: string,
  options: Signal = {},
): Promise<{ id: string; objectKey?: string | null; createdAt?: string | null }[]> {
  return (await client.request(listFlashBuildsQuery, { flashAppId }, options)).flashApp.flashBuilds ?? [];
}

/** Replaces a build's manifest (deploy records endpoint ids in it). */
export async function updateFlashBuildManifest(
  client: GraphqlClient,
  input: { flashBuildId: string; manifest: unknown },
  options: Signal = {},
): Promise<FlashBuildRecord> {
  return (await client.request(updateManifestMutation, { input }, options)).updateFlashBuildManifest;
}

/** Makes a build the environment's active one; workers of its endpoints load that artifact. */
export async function deployBuildToEnvironment(
  client: GraphqlClient,
  input: { flashEnvironmentId: string; flashBuildId: string },
  options: Signal = {},
): Promise<DeployedEnvironment> {
  return (await client.request(deployBuildMutation, { input }, options)).deployBuildToEnvironment;
}

/** A build's manifest as RunPod may return it: the JSON value, or its text (undefined if not JSON). */
export function manifestValue(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}
