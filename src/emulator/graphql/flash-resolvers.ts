import { randomUUID } from "node:crypto";
import { InputError, type ResolverContext } from "./context.ts";
import { endpointView } from "./endpoint-resolvers.ts";
import type { EmulatedFlashApp, EmulatedFlashBuild, EmulatedFlashEnvironment } from "./flash-store.ts";
import { URL_TTL_MS } from "./flash-store.ts";

/**
 * Flash apps, environments and builds, with the operations and error wording RunPod's Python Flash
 * relies on (e.g. `flashAppByName` failing with a message containing "app not found").
 */

/** Python Flash refuses artifacts over 1500 MB; so does RunPod. */
export const MAX_ARTIFACT_BYTES = 1500 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Apps
// ---------------------------------------------------------------------------------------------

export function createFlashApp(ctx: ResolverContext, input: { name: string }): object {
  const name = input.name.trim();
  if (!name) throw new InputError("Flash app name is required");
  if (findAppByName(ctx, name)) throw new InputError(`Flash app ${JSON.stringify(name)} already exists`);
  const app: EmulatedFlashApp = { id: ctx.store.newAppId(), name, createdAt: new Date().toISOString() };
  ctx.store.apps.set(app.id, app);
  return appView(ctx, app);
}

export function flashApp(ctx: ResolverContext, flashAppId: string): object {
  return appView(ctx, requireApp(ctx, flashAppId));
}

export function flashAppByName(ctx: ResolverContext, flashAppName: string): object {
  const app = findAppByName(ctx, flashAppName);
  if (!app) throw new InputError(`Flash app not found: ${JSON.stringify(flashAppName)}`);
  return appView(ctx, app);
}

export function listFlashApps(ctx: ResolverContext): object[] {
  return [...ctx.store.apps.values()].map((a) => appView(ctx, a));
}

/** Deletes the app with its environments, builds and artifacts; endpoints stay (as on RunPod). */
export function deleteFlashApp(ctx: ResolverContext, flashAppId: string): null {
  const app = requireApp(ctx, flashAppId);
  for (const env of ctx.store.environmentsOf(app.id)) ctx.store.environments.delete(env.id);
  for (const build of ctx.store.buildsOf(app.id)) ctx.store.builds.delete(build.id);
  for (const [key, slot] of ctx.store.artifacts) if (slot.appId === app.id) ctx.store.artifacts.delete(key);
  ctx.store.apps.delete(app.id);
  return null;
}

// ---------------------------------------------------------------------------------------------
// Environments
// ---------------------------------------------------------------------------------------------

export function createFlashEnvironment(
  ctx: ResolverContext,
  input: { flashAppId: string; name: string },
): object {
  const app = requireApp(ctx, input.flashAppId);
  const name = input.name.trim();
  if (!name) throw new InputError("Flash environment name is required");
  if (ctx.store.environmentsOf(app.id).some((e) => e.name === name)) {
    throw new InputError(
      `Flash environment ${JSON.stringify(name)} already exists in app ${JSON.stringify(app.name)}`,
    );
  }
  const env: EmulatedFlashEnvironment = {
    id: randomUUID(),
    appId: app.id,
    name,
    state: "PENDING",
    activeBuildId: null,
    createdAt: new Date().toISOString(),
  };
  ctx.store.environments.set(env.id, env);
  return environmentView(ctx, env);
}

export function flashEnvironment(ctx: ResolverContext, flashEnvironmentId: string): object {
  return environmentView(ctx, requireEnvironment(ctx, flashEnvironmentId));
}

export function flashEnvironmentByName(
  ctx: ResolverContext,
  input: { flashAppId: string; name: string },
): object {
  const app = requireApp(ctx, input.flashAppId);
  const env = ctx.store.environmentsOf(app.id).find((e) => e.name === input.name);
  if (!env) {
    throw new InputError(
      `Flash environment not found: ${JSON.stringify(input.name)} in app ${JSON.stringify(app.name)}`,
    );
  }
  return environmentView(ctx, env);
}

/** Deletes the environment; its endpoints stay (Python Flash undeploys them first). */
export function deleteFlashEnvironment(ctx: ResolverContext, flashEnvironmentId: string): null {
  requireEnvironment(ctx, flashEnvironmentId);
  ctx.store.environments.delete(flashEnvironmentId);
  return null;
}

// ---------------------------------------------------------------------------------------------
// Builds and artifacts
// ---------------------------------------------------------------------------------------------

export function prepareFlashArtifactUpload(
  ctx: ResolverContext,
  input: { flashAppId: string; tarballSize: number },
): object {
  const app = requireApp(ctx, input.flashAppId);
  const size = input.tarballSize;
  if (!Number.isInteger(size) || size <= 0)
    throw new InputError("tarballSize must be a positive number of bytes");
  if (size > MAX_ARTIFACT_BYTES) {
    throw new InputError(`tarballSize ${size} exceeds the maximum artifact size of 1500 MB`);
  }
  const slot = ctx.store.openUpload(app.id, size);
  return {
    uploadUrl: `${ctx.origin()}/upload/${slot.objectKey}?token=${slot.token}`,
    objectKey: slot.objectKey,
    expiresAt: slot.expiresAt.toISOString(),
  };
}

export function finalizeFlashArtifactUpload(
  ctx: ResolverContext,
  input: { flashAppId: string; objectKey: string; manifest?: unknown },
): object {
  const app = requireApp(ctx, input.flashAppId);
  checkManifest(input.manifest);
  const slot = ctx.store.artifacts.get(input.objectKey);
  if (!slot || slot.appId !== app.id) throw new InputError(`Artifact ${input.objectKey} not found`);
  if (!slot.path) throw new InputError(`Artifact ${input.objectKey} has not been uploaded`);
  if ([...ctx.store.builds.values()].some((b) => b.objectKey === slot.objectKey)) {
    throw new InputError(`Artifact ${input.objectKey} is already registered as a build`);
  }
  const build: EmulatedFlashBuild = {
    id: randomUUID(),
    appId: app.id,
    objectKey: slot.objectKey,
    manifest: input.manifest ?? null,
    createdAt: new Date().toISOString(),
  };
  ctx.store.builds.set(build.id, build);
  return buildView(build);
}

export function flashBuild(ctx: ResolverContext, flashBuildId: string): object {
  return buildView(requireBuild(ctx, flashBuildId));
}

export function updateFlashBuildManifest(
  ctx: ResolverContext,
  input: { flashBuildId: string; manifest?: unknown },
): object {
  const build = requireBuild(ctx, input.flashBuildId);
  checkManifest(input.manifest);
  build.manifest = input.manifest ?? null;
  return buildView(build);
}

/**
 * Makes the build the environment's active one. Endpoints bound to the environment get the new
 * `activeBuildid` and are re-saved, so the supervisor restarts their workers on the new artifact.
 */
export function deployBuildToEnvironment(
  ctx: ResolverContext,
  input: { flashEnvironmentId: string; flashBuildId: string },
): object {
  const env = requireEnvironment(ctx, input.flashEnvironmentId);
  const build = requireBuild(ctx, input.flashBuildId);
  if (build.appId !== env.appId) {
    throw new InputError(`Flash build ${build.id} belongs to another app than environment ${env.id}`);
  }
  const changed = env.activeBuildId !== build.id;
  env.activeBuildId = build.id;
  env.state = "HEALTHY";
  if (changed) {
    for (const endpoint of ctx.store.endpointsOf(env.id)) {
      ctx.registry.saveEndpoint({ ...endpoint, extra: { ...endpoint.extra, activeBuildid: build.id } });
    }
  }
  return environmentView(ctx, env);
}

// ---------------------------------------------------------------------------------------------
// Views and lookups
// ---------------------------------------------------------------------------------------------

function appView(ctx: ResolverContext, app: EmulatedFlashApp): object {
  return {
    ...app,
    flashEnvironments: () => ctx.store.environmentsOf(app.id).map((e) => environmentView(ctx, e)),
    flashBuilds: () => ctx.store.buildsOf(app.id).map(buildView),
  };
}

function environmentView(ctx: ResolverContext, env: EmulatedFlashEnvironment): object {
  return {
    ...env,
    endpoints: () => ctx.store.endpointsOf(env.id).map((e) => endpointView(ctx, e)),
    networkVolumes: () => {
      const ids = new Set(ctx.store.endpointsOf(env.id).map((e) => e.networkVolumeId));
      return [...ctx.store.networkVolumes.values()].filter((v) => ids.has(v.id));
    },
    activeArtifact: () => {
      const build = env.activeBuildId ? ctx.store.builds.get(env.activeBuildId) : undefined;
      const slot = build ? ctx.store.artifacts.get(build.objectKey) : undefined;
      if (!build || !slot) return null;
      return {
        objectKey: build.objectKey,
        downloadUrl: `${ctx.origin()}/artifacts/${build.objectKey}?token=${slot.token}`,
        expiresAt: new Date(Date.now() + URL_TTL_MS).toISOString(),
      };
    },
  };
}

function buildView(build: EmulatedFlashBuild): object {
  return { ...build };
}

function findAppByName(ctx: ResolverContext, name: string): EmulatedFlashApp | undefined {
  return [...ctx.store.apps.values()].find((a) => a.name === name);
}

function requireApp(ctx: ResolverContext, id: string): EmulatedFlashApp {
  const app = ctx.store.apps.get(id);
  if (!app) throw new InputError(`Flash app not found: ${id}`);
  return app;
}

function requireEnvironment(ctx: ResolverContext, id: string): EmulatedFlashEnvironment {
  const env = ctx.store.environments.get(id);
  if (!env) throw new InputError(`Flash environment not found: ${id}`);
  return env;
}

function requireBuild(ctx: ResolverContext, id: string): EmulatedFlashBuild {
  const build = ctx.store.builds.get(id);
  if (!build) throw new InputError(`Flash build not found: ${id}`);
  return build;
}

function checkManifest(manifest: unknown): void {
  if (
    manifest !== undefined &&
    manifest !== null &&
    (typeof manifest !== "object" || Array.isArray(manifest))
  ) {
    throw new InputError("manifest must be a JSON object");
  }
}
