import { cp, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { carriesNode, usesStartCommand, workerImage } from "../deploy/images.ts";
import { noFunctionsError, scanProject } from "../scan/index.ts";
import type { ScanResult } from "../scan/types.ts";
import { flashCacheDir } from "../shared/cache-dir.ts";
import { withFileLock } from "../shared/file-lock.ts";
import type { Manifest } from "../shared/schemas/manifest.ts";
import { ARTIFACT_PATH, type PackedArtifact, packArtifact } from "./artifact.ts";
import { bundleResources, type ResourceBundle } from "./bundle-resources.ts";
import { carriedNode } from "./carried-node.ts";
import { type InstalledDependencies, installDependencies } from "./install-dependencies.ts";
import { createManifest, writeManifest } from "./manifest.ts";
import { copyWorkerPack, type WorkerPackJson } from "./worker-pack.ts";

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
  /** The runtime the artifact carries (its `node_modules/runpod-flash`). */
  runtime: WorkerPackJson;
  /** The npm packages installed into the artifact for linux x64, and what their install said. */
  installed: InstalledDependencies;
  /** The Node version the artifact carries at `node/bin/node`, when an image needs one. */
  carriedNode: string | undefined;
}

/**
 * `flash build` without the printing (SPEC sections 6 and 7): scan, write `.flash/manifest.json`,
 * bundle each resource, and pack a self-contained `.flash/artifact.tar.gz`, which a worker on a
 * plain public image runs with nothing installed:
 *
 *     manifest.json                the manifest, with each resource's dependencies as bundling found them
 *     resources/<resource>.mjs     one bundle per resource, and its .mjs.map
 *     node_modules/runpod-flash/   the runtime and SDK of the CLI that built it (worker-pack.ts)
 *     node_modules/…               the resources' npm dependencies, installed for linux x64 glibc
 *     node/bin/node                a linux-x64 Node, when an endpoint's image may have none (CUDA)
 *
 * Other files in `.flash/` are left alone; `.flash/build/` is rewritten with all but the carried
 * Node, which goes into the artifact from its cache (carried-node.ts).
 * `env` decides the images (`FLASH_IMAGE_*`) and so whether Node is carried; `cacheDir` holds the
 * npm installs and the carried Node between builds (default {@link flashCacheDir}).
 * @throws FlashError NO_FUNCTIONS, SCAN_*, BUILD_FAILED, PAYLOAD_TOO_LARGE
 */
export async function buildProject(
  root: string,
  options: {
    scan?: ScanResult;
    env?: NodeJS.ProcessEnv;
    cacheDir?: string;
    log?: (line: string) => void;
  } = {},
): Promise<BuildResult> {
  const env = options.env ?? process.env;
  const cacheDir = options.cacheDir ?? flashCacheDir(env);
  const scan = options.scan ?? (await scanProject(root));
  if (scan.resources.length === 0) throw noFunctionsError(scan.root);
  const manifest = createManifest(scan);
  const buildDir = join(scan.root, BUILD_DIR);
  await rm(buildDir, { recursive: true, force: true });
  await mkdir(buildDir, { recursive: true });
  const bundles = await bundleResources(scan, buildDir);
  // Bundling knows which packages each resource really imports (declared ones, native ones it left
  // external): that is what goes into the artifact's node_modules.
  for (const b of bundles) manifest.resources[b.resourceName]!.config.dependencies = b.dependencies;
  const manifestPath = await writeManifest(scan.root, manifest);
  await writeFile(join(buildDir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  const installed = await installDependencies(
    bundles.flatMap((b) => b.dependencies),
    { cacheDir, log: options.log, npmrc: join(scan.root, ".npmrc") },
  );
  if (installed.nodeModules) {
    // Verbatim: npm's relative .bin links must stay relative to work where the artifact is unpacked.
    await cp(installed.nodeModules, join(buildDir, "node_modules"), {
      recursive: true,
      verbatimSymlinks: true,
    });
  }
  // After the dependencies: a package of that name among them must not replace the runtime.
  await rm(join(buildDir, "node_modules", "runpod-flash"), { recursive: true, force: true });
  const runtime = await copyWorkerPack(join(buildDir, "node_modules", "runpod-flash"));
  const images = scan.resources
    .filter((r) => usesStartCommand(r.resourceType, r.config.imageName))
    .map((r) => workerImage(r.resourceType, r.config.imageName, env));
  const node = carriesNode(images, env) ? await carriedNode({ cacheDir, log: options.log }) : undefined;
  const files = await filesUnder(buildDir);
  const artifact = await packArtifact(
    buildDir,
    files,
    join(scan.root, ARTIFACT_PATH),
    node ? [node.member] : [],
  );
  return { scan, manifest, manifestPath, bundles, artifact, runtime, installed, carriedNode: node?.version };
}

/** Every file and link under `dir`, as sorted POSIX paths relative to it. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const out: string[] = [];
  for (const e of entries) {
    if (e.isDirectory()) continue;
    const rel = join(e.parentPath, e.name).slice(dir.length + 1);
    out.push(rel.split("\\").join("/"));
  }
  return out.sort();
}
