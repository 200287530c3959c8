import { z } from "zod";
import type {
  EndpointInput,
  EndpointRecord,
  SaveTemplateInput,
  TemplateRecord,
} from "../shared/schemas/control-plane.ts";
import { UserSchema } from "../shared/schemas/control-plane.ts";
import {
  type CredentialOptions,
  type CredentialSource,
  requireApiKey,
  resolveApiKey,
} from "./credentials.ts";
import * as endpoints from "./endpoints.ts";
import * as apps from "./flash-apps.ts";
import * as builds from "./flash-builds.ts";
import { GraphqlClient, query } from "./graphql-client.ts";
import { type HttpOptions, type RunpodUrls, runpodUrls } from "./http.ts";
import * as volumes from "./network-volumes.ts";
import * as templates from "./templates.ts";

/**
 * One object for everything deploy, undeploy and live mode ask of RunPod's control plane, bound to a
 * resolved key and target (real RunPod, or the emulator when `RUNPOD_API_URL` is set). The per-concern
 * modules (`endpoints.ts`, `templates.ts`, `network-volumes.ts`, `flash-apps.ts`, `flash-builds.ts`) stay
 * usable on their own
 * with any {@link GraphqlClient}.
 */

/** The key the emulator gets when none is configured: it accepts any non-empty key by default. */
export const EMULATOR_PLACEHOLDER_KEY = "flash-emulator";

export interface ConnectOptions extends CredentialOptions {
  /** Use this key instead of resolving one. */
  apiKey?: string;
  http?: HttpOptions;
}

const whoamiQuery = query("whoami", "query whoami { myself { id } }", z.object({ myself: UserSchema }));

/** The control plane of one account. */
export class ControlPlane {
  readonly client: GraphqlClient;
  readonly urls: RunpodUrls;
  /** Where the key came from; "placeholder" when talking to an emulator with no key configured. */
  readonly keySource: CredentialSource | "option" | "placeholder";
  readonly #http: HttpOptions;

  constructor(
    client: GraphqlClient,
    urls: RunpodUrls,
    keySource: ControlPlane["keySource"],
    http: HttpOptions,
  ) {
    this.client = client;
    this.urls = urls;
    this.keySource = keySource;
    this.#http = http;
  }

  /** True when the target is the emulator (`RUNPOD_API_URL` set). */
  get isEmulator(): boolean {
    return this.urls.emulatorOrigin !== undefined;
  }

  /**
   * The account's user id: the cheapest call that proves the key works (`flash login` uses it before
   * saving a key). Throws RUNPOD_AUTH for a rejected key.
   */
  async whoami(): Promise<{ id: string }> {
    return (await this.client.request(whoamiQuery)).myself;
  }

  saveTemplate(input: SaveTemplateInput): Promise<TemplateRecord> {
    return templates.saveTemplate(this.client, input);
  }
  getTemplate(id: string): Promise<TemplateRecord | undefined> {
    return templates.getTemplate(this.client, id);
  }
  listTemplates(): Promise<TemplateRecord[]> {
    return templates.listTemplates(this.client);
  }
  getTemplateByName(name: string): Promise<TemplateRecord | undefined> {
    return templates.getTemplateByName(this.client, name);
  }
  deleteTemplate(templateName: string): Promise<void> {
    return templates.deleteTemplate(this.client, templateName);
  }

  saveEndpoint(input: EndpointInput): Promise<EndpointRecord> {
    return endpoints.saveEndpoint(this.client, input);
  }
  listEndpoints(): Promise<EndpointRecord[]> {
    return endpoints.listEndpoints(this.client);
  }
  getEndpoint(id: string): Promise<EndpointRecord | undefined> {
    return endpoints.getEndpoint(this.client, id);
  }
  getEndpointByName(name: string): Promise<EndpointRecord | undefined> {
    return endpoints.getEndpointByName(this.client, name);
  }
  findEndpointsByName(name: string): Promise<EndpointRecord[]> {
    return endpoints.findEndpointsByName(this.client, name);
  }
  deleteEndpoint(id: string): Promise<void> {
    return endpoints.deleteEndpoint(this.client, id);
  }

  listNetworkVolumes() {
    return volumes.listNetworkVolumes(this.client);
  }
  findNetworkVolume(input: { name: string; dataCenterId: string }) {
    return volumes.findNetworkVolume(this.client, input);
  }
  createNetworkVolume(input: { name: string; size: number; dataCenterId: string }) {
    return volumes.createNetworkVolume(this.client, input);
  }

  listFlashApps() {
    return apps.listFlashApps(this.client);
  }
  getFlashApp(flashAppId: string) {
    return apps.getFlashApp(this.client, flashAppId);
  }
  getFlashAppByName(name: string) {
    return apps.getFlashAppByName(this.client, name);
  }
  createFlashApp(name: string) {
    return apps.createFlashApp(this.client, name);
  }
  deleteFlashApp(flashAppId: string) {
    return apps.deleteFlashApp(this.client, flashAppId);
  }
  getFlashEnvironment(flashEnvironmentId: string) {
    return apps.getFlashEnvironment(this.client, flashEnvironmentId);
  }
  getFlashEnvironmentByName(input: { flashAppId: string; name: string }) {
    return apps.getFlashEnvironmentByName(this.client, input);
  }
  createFlashEnvironment(input: { flashAppId: string; name: string }) {
    return apps.createFlashEnvironment(this.client, input);
  }
  deleteFlashEnvironment(flashEnvironmentId: string) {
    return apps.deleteFlashEnvironment(this.client, flashEnvironmentId);
  }

  prepareArtifactUpload(input: { flashAppId: string; tarballSize: number }) {
    return builds.prepareArtifactUpload(this.client, input);
  }
  uploadArtifact(upload: { uploadUrl: string }, bytes: Uint8Array) {
    return builds.uploadArtifact(upload, bytes, this.#http);
  }
  finalizeArtifactUpload(input: { flashAppId: string; objectKey: string; manifest: unknown }) {
    return builds.finalizeArtifactUpload(this.client, input);
  }
  getFlashBuild(flashBuildId: string) {
    return builds.getFlashBuild(this.client, flashBuildId);
  }
  listFlashBuilds(flashAppId: string) {
    return builds.listFlashBuilds(this.client, flashAppId);
  }
  updateFlashBuildManifest(input: { flashBuildId: string; manifest: unknown }) {
    return builds.updateFlashBuildManifest(this.client, input);
  }
  deployBuildToEnvironment(input: { flashEnvironmentId: string; flashBuildId: string }) {
    return builds.deployBuildToEnvironment(this.client, input);
  }

  /**
   * Uploads an artifact and registers it as a build: prepare → PUT → finalize.
   * @returns the new build (id and manifest).
   */
  async uploadBuild(input: { flashAppId: string; artifact: Uint8Array; manifest: unknown }) {
    const upload = await this.prepareArtifactUpload({
      flashAppId: input.flashAppId,
      tarballSize: input.artifact.byteLength,
    });
    await this.uploadArtifact(upload, input.artifact);
    return this.finalizeArtifactUpload({
      flashAppId: input.flashAppId,
      objectKey: upload.objectKey,
      manifest: input.manifest,
    });
  }
}

/**
 * Resolves the target and key and returns a {@link ControlPlane}. With `RUNPOD_API_URL` set and no key
 * configured, a placeholder key is used: the emulator accepts any non-empty key unless started with
 * `--api-key`, so offline use needs no account.
 * @throws FlashError RUNPOD_AUTH when targeting RunPod with no key configured.
 */
export async function connectControlPlane(options: ConnectOptions = {}): Promise<ControlPlane> {
  const urls = runpodUrls(options.env ?? process.env);
  const http = options.http ?? {};
  let apiKey: string;
  let source: ControlPlane["keySource"];
  if (options.apiKey) {
    apiKey = options.apiKey;
    source = "option";
  } else if (urls.emulatorOrigin !== undefined) {
    const resolved = await resolveApiKey(options);
    apiKey = resolved?.apiKey ?? EMULATOR_PLACEHOLDER_KEY;
    source = resolved?.source ?? "placeholder";
  } else {
    const resolved = await requireApiKey(options);
    apiKey = resolved.apiKey;
    source = resolved.source;
  }
  return new ControlPlane(new GraphqlClient({ apiKey, url: urls.graphql, ...http }), urls, source, http);
}
