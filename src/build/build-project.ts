import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { noFunctionsError, scanProject } from "../scan/index.ts";
import type { ScanResult } from "../scan/types.ts";
import { withFileLock } from "../shared/file-lock.ts";
import type { Manifest } from "../shared/schemas/manifest.ts";
import { ARTIFACT_PATH, type PackedArtifact, packArtifact } from "./artifact.ts";
import { bundleResources, type ResourceBundle } from "./bundle-resources.ts";
import { createManifest, writeManifest } from "./manifest.ts";

/** Staging folder of the artifact's contents, relative to the project root. */
export const BUILD_DIR = ".flash/build";

/** The lock that serialises builds and deploys of one project: they share `.flash/build`. */
export const BUILD_LOCK = ".flash/build.lock";

/**
 * Runs `fn` (a build, or a build and its deploy) holding the project's {@link BUILD_LOCK}: a second
 * `flash build` or `flash deploy` of the project waits for the first, as cargo waits on its build
 * folder, rather than rewriting `.flash/build` under it or racing it to create the same endpoints.
 * `onWait` is told the holder's pid once, before waiting.
 */
export function withBuildLock<T>(
  root: string,
  onWait: (pid: number) => void,
  fn: () => Promise<T>,
): Promise<T> {
  return withFileLock(join(root, BUILD_LOCK), fn, { onWait: (holder) => onWait(holder.pid) });
}

/** Everything `flash build` produced. */
export interface BuildResult {
  scan: ScanResult;
  manifest: Manifest;
  /** Absolute path of `.flash/manifest.json`. */
  manifestPath: string;
  bundles: ResourceBundle[];
  artifact: PackedArtifact;
}

/**
 * `flash build` without the printing (SPEC section 7): scan, write `.flash/manifest.json`, bundle
 * each resource, and pack `.flash/artifact.tar.gz` in the runtime's layout:
 *
 *     manifest.json                the manifest, with each resource's dependencies as bundling found them
 *     resources/<resource>.mjs     one bundle per resource, and its .mjs.map
 *
 * Other files in `.flash/` are left alone; `.flash/build/` is rewritten.
 * @throws FlashError NO_FUNCTIONS, SCAN_*, BUILD_FAILED, PAYLOAD_TOO_LARGE
 */
export async function buildProject(root: string, options: { scan?: ScanResult } = {}): Promise<BuildResult> {
  const scan = options.scan ?? (await scanProject(root));
  if (scan.resources.length === 0) throw noFunctionsError(scan.root);
  const manifest = createManifest(scan);
  const buildDir = join(scan.root, BUILD_DIR);
  await rm(buildDir, { recursive: true, force: true });
  await mkdir(buildDir, { recursive: true });
  const bundles = await bundleResources(scan, buildDir);
  // Bundling knows which packages each resource really imports (declared ones, native ones it left
  // external): that is what the worker installs.
  for (const b of bundles) manifest.resources[b.resourceName]!.config.dependencies = b.dependencies;
  const manifestPath = await writeManifest(scan.root, manifest);
  await writeFile(join(buildDir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  const files = ["manifest.json"];
  for (const b of bundles) {
    files.push(`resources/${b.resourceName}.mjs`);
    if (b.mapBytes > 0) files.push(`resources/${b.resourceName}.mjs.map`);
  }
  const artifact = await packArtifact(buildDir, files, join(scan.root, ARTIFACT_PATH));
  return { scan, manifest, manifestPath, bundles, artifact };
}
