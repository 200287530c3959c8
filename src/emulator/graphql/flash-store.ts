import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EmulatedEndpoint, Registry } from "../registry.ts";

/**
 * The emulator's flash apps, environments, builds, uploaded artifacts and network volumes, beside the
 * registry's templates and endpoints. In memory, except artifact bytes: those go to a temp directory so that
 * local workers can read them through `FLASH_BUILD_ARTIFACT_PATH` like a deployed worker reads
 * `/root/.runpod/artifact.tar.gz`. Lost (and the directory removed) when the emulator stops.
 */

export interface EmulatedFlashApp {
  id: string;
  name: string;
  createdAt: string;
}

export interface EmulatedFlashEnvironment {
  id: string;
  appId: string;
  name: string;
  /** RunPod's environment state; "PENDING" until a build is deployed to it, then "HEALTHY". */
  state: string;
  activeBuildId: string | null;
  createdAt: string;
}

export interface EmulatedFlashBuild {
  id: string;
  appId: string;
  objectKey: string;
  manifest: unknown;
  createdAt: string;
}

/** A network volume (RunPod: `myself { networkVolumes { id name size dataCenterId } }`). */
export interface EmulatedNetworkVolume {
  id: string;
  name: string;
  size: number;
  dataCenterId: string;
}

/** An upload URL handed out by `prepareFlashArtifactUpload`, and what arrived at it. */
export interface ArtifactSlot {
  objectKey: string;
  appId: string;
  /** The secret in the URL's query string, standing in for a presigned URL's signature. */
  token: string;
  declaredSize: number;
  expiresAt: Date;
  /** Set once the bytes are stored. */
  path?: string;
  size?: number;
}

/** How long an upload or download URL stays valid, as RunPod's presigned URLs do. */
export const URL_TTL_MS = 60 * 60 * 1000;

/** One emulated account's flash state; reach it through {@link flashStoreOf}. */
export class FlashStore {
  readonly apps = new Map<string, EmulatedFlashApp>();
  readonly environments = new Map<string, EmulatedFlashEnvironment>();
  readonly builds = new Map<string, EmulatedFlashBuild>();
  readonly artifacts = new Map<string, ArtifactSlot>();
  readonly networkVolumes = new Map<string, EmulatedNetworkVolume>();
  /** Messages for the server to log (e.g. an image the emulator cannot run). */
  readonly warnings: string[] = [];
  readonly #registry: Registry;
  #dir: string | undefined;

  constructor(registry: Registry) {
    this.#registry = registry;
  }

  /** The temp directory holding artifacts, created on first use. */
  get artifactDir(): string {
    this.#dir ??= mkdtempSync(join(tmpdir(), "flash-emulator-artifacts-"));
    return this.#dir;
  }

  newAppId(): string {
    return randomUUID();
  }

  /** Opens an upload slot; the caller turns it into a URL. */
  openUpload(appId: string, declaredSize: number): ArtifactSlot {
    const slot: ArtifactSlot = {
      objectKey: `${appId}/${randomUUID()}.tar.gz`,
      appId,
      token: randomBytes(16).toString("hex"),
      declaredSize,
      expiresAt: new Date(Date.now() + URL_TTL_MS),
    };
    this.artifacts.set(slot.objectKey, slot);
    return slot;
  }

  environmentsOf(appId: string): EmulatedFlashEnvironment[] {
    return [...this.environments.values()].filter((e) => e.appId === appId);
  }

  buildsOf(appId: string): EmulatedFlashBuild[] {
    return [...this.builds.values()].filter((b) => b.appId === appId);
  }

  endpointsOf(environmentId: string): EmulatedEndpoint[] {
    return [...this.#registry.endpoints.values()].filter((e) => e.flashEnvironmentId === environmentId);
  }

  /**
   * The local path of the artifact a deployed endpoint runs: its environment's active build's tarball.
   * Undefined for endpoints outside any environment (live endpoints) or before a build is deployed.
   * The supervisor passes it to workers as `FLASH_BUILD_ARTIFACT_PATH`.
   */
  artifactPathForEndpoint(endpoint: Pick<EmulatedEndpoint, "flashEnvironmentId">): string | undefined {
    if (!endpoint.flashEnvironmentId) return undefined;
    const env = this.environments.get(endpoint.flashEnvironmentId);
    const build = env?.activeBuildId ? this.builds.get(env.activeBuildId) : undefined;
    return build ? this.artifacts.get(build.objectKey)?.path : undefined;
  }

  /** Records a warning for the server to print, once per distinct message. */
  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  /** Removes the artifact directory. Safe to call more than once. */
  close(): void {
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = undefined;
  }
}

const stores = new WeakMap<Registry, FlashStore>();

/**
 * The flash store that goes with a registry (created on first call): the GraphQL handler, the upload
 * route and the supervisor all reach the same one through the registry they share.
 */
export function flashStoreOf(registry: Registry): FlashStore {
  let store = stores.get(registry);
  if (!store) {
    store = new FlashStore(registry);
    stores.set(registry, store);
  }
  return store;
}
