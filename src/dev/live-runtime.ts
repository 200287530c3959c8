import { existsSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { packArtifact } from "../build/artifact.ts";
import { filesUnder } from "../build/build-project.ts";
import { carriedNode } from "../build/carried-node.ts";
import { copyWorkerPack } from "../build/worker-pack.ts";
import type { ControlPlane } from "../cloud/control-plane.ts";
import { manifestValue } from "../cloud/flash-builds.ts";

/**
 * What a live endpoint's workers unpack (SPEC section 6, README "Live endpoints"): the runtime-only
 * build. Live jobs ship their own bundle, so the artifact holds only this CLI's runtime and SDK
 * (`node_modules/runpod-flash`) and, when a session's images may have no Node, a carried Node. It
 * depends on nothing of the project: it is uploaded to the project's flash app once per Flash build
 * (and Node choice), found again by its key in the build's manifest, and reused by later sessions.
 */
const LiveRuntimeManifest = z.looseObject({ flash_live_runtime: z.string() });

/** The key of a runtime-only build: the Flash build id and whether it carries Node. */
export function liveRuntimeKey(flashBuildId: string, nodeVersion: string | undefined): string {
  return `${flashBuildId}+${nodeVersion ? `node-${nodeVersion}` : "no-node"}`;
}

/** A session's live environment: where its endpoints get the runtime artifact from. */
export interface LiveEnvironment {
  flashAppId: string;
  id: string;
  name: string;
  buildId: string;
  /** True when this session uploaded the runtime build (no earlier session of this Flash had). */
  uploaded: boolean;
}

/** The environment of a dev session, `live-<session id>`, in the project's flash app. */
export function liveEnvironmentName(sessionId: string): string {
  return `live-${sessionId}`;
}

/**
 * Creates this session's environment `live-<session id>` in the flash app `appName` (created when
 * missing) with the runtime-only build active, uploading that build only when the app has none
 * for this Flash build. The environment is the session's to remove; the build stays for the next.
 */
export async function createLiveEnvironment(o: {
  controlPlane: ControlPlane;
  appName: string;
  sessionId: string;
  carryNode: boolean;
  cacheDir: string;
  log: (line: string) => void;
}): Promise<LiveEnvironment> {
  const cp = o.controlPlane;
  const artifact = await runtimeArtifact(o.cacheDir, o.carryNode, o.log);
  const app = (await cp.getFlashAppByName(o.appName)) ?? (await createApp(cp, o.appName));
  let buildId = await findBuild(cp, app.id, artifact.key);
  const uploaded = buildId === undefined;
  if (!buildId) {
    o.log(
      `Uploading the live runtime build (${Math.ceil(artifact.bytes.byteLength / 1024)} kB), once per Flash version...`,
    );
    const build = await cp.uploadBuild({
      flashAppId: app.id,
      artifact: artifact.bytes,
      manifest: { flash_live_runtime: artifact.key },
    });
    buildId = build.id;
  }
  const name = liveEnvironmentName(o.sessionId);
  const env =
    (await cp.getFlashEnvironmentByName({ flashAppId: app.id, name })) ??
    (await cp.createFlashEnvironment({ flashAppId: app.id, name }));
  await cp.deployBuildToEnvironment({ flashEnvironmentId: env.id, flashBuildId: buildId });
  return { flashAppId: app.id, id: env.id, name, buildId, uploaded };
}

/** Creates the app; when another session (or a deploy) created it first, that one is used. */
async function createApp(cp: ControlPlane, name: string): Promise<{ id: string }> {
  try {
    return await cp.createFlashApp(name);
  } catch (err) {
    const app = await cp.getFlashAppByName(name).catch(() => undefined);
    if (app) return app;
    throw err;
  }
}

/** The app's runtime-only build with this key, newest first. */
async function findBuild(cp: ControlPlane, flashAppId: string, key: string): Promise<string | undefined> {
  const builds = await cp.listFlashBuilds(flashAppId);
  const newestFirst = [...builds].sort((a, b) => (b.createdAt ?? "").localeCompare(a.createdAt ?? ""));
  for (const b of newestFirst) {
    const full = await cp.getFlashBuild(b.id);
    const parsed = LiveRuntimeManifest.safeParse(manifestValue(full?.manifest));
    if (parsed.success && parsed.data.flash_live_runtime === key) return b.id;
  }
  return undefined;
}

/** The runtime-only artifact, packed once per machine under `<cacheDir>/live-runtime/<key>.tar.gz`. */
async function runtimeArtifact(
  cacheDir: string,
  carryNode: boolean,
  log: (line: string) => void,
): Promise<{ key: string; bytes: Buffer }> {
  const node = carryNode ? await carriedNode({ cacheDir, log }) : undefined;
  const stageRoot = join(cacheDir, "live-runtime");
  const stage = join(stageRoot, `stage-${process.pid}`);
  await rm(stage, { recursive: true, force: true });
  const runtime = await copyWorkerPack(join(stage, "node_modules", "runpod-flash"));
  const key = liveRuntimeKey(runtime.flashBuildId, node?.version);
  const file = join(stageRoot, `${key}.tar.gz`);
  try {
    if (!existsSync(file)) {
      await mkdir(stageRoot, { recursive: true });
      await packArtifact(stage, await filesUnder(stage), file, node ? [node.member] : []);
    }
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
  return { key, bytes: await readFile(file) };
}
