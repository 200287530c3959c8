import { createHash, randomBytes } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { linkFlashPackage } from "./code-cache.ts";
import type { WorkerEnv } from "./env.ts";
import { type ManifestResource, parseManifestResource, WireError } from "./wire.ts";

/**
 * Deployed mode: the build artifact and the layout the runtime expects inside it.
 *
 *     artifact.tar.gz
 *     ├── manifest.json                 the build's .flash/manifest.json (resources keyed by resource name)
 *     ├── resources/<resource>.mjs      one ESM bundle per resource; each remote function is a named export
 *     ├── resources/<resource>.mjs.map  (optional) its source map
 *     ├── node_modules/runpod-flash/    the runtime and SDK that built it (what the start command runs)
 *     ├── node_modules/…                the resources' npm dependencies, installed for linux x64
 *     └── node/bin/node                 (when an image has no Node) the Node the start command runs
 *
 * `FLASH_RESOURCE_NAME` picks the resource. The template's start command (src/deploy/start-command.ts)
 * has unpacked it into `FLASH_APP_DIR` already; a runtime started some other way unpacks it here.
 * `runpod-flash` resolves to the worker's own copy when the artifact does not carry one.
 */
export interface DeployedCode {
  /** The unpacked artifact. */
  dir: string;
  resource: ManifestResource;
  /** Absolute path of the resource's bundle. */
  modulePath: string;
}

let loaded: Promise<DeployedCode> | undefined;

/**
 * Unpacks the artifact the worker's environment names (once per worker, and once per artifact for
 * workers sharing a cache) and reads `resourceName` from it.
 */
export function loadDeployedCode(
  env: Pick<WorkerEnv, "artifactPath" | "appDir" | "cacheDir">,
  resourceName: string,
  log: (line: string) => void,
): Promise<DeployedCode> {
  loaded ??= load({ ...env, resourceName, log });
  return loaded;
}

async function load(o: {
  artifactPath: string;
  appDir: string | undefined;
  cacheDir: string;
  resourceName: string;
  log: (line: string) => void;
}): Promise<DeployedCode> {
  if (!existsSync(o.artifactPath)) {
    throw new WireError(`build artifact not found at ${o.artifactPath} (set FLASH_BUILD_ARTIFACT_PATH)`);
  }
  const dir = o.appDir ?? join(o.cacheDir, "app", artifactKey(o.artifactPath));
  if (!existsSync(join(dir, ".flash-unpacked"))) await unpack(o.artifactPath, dir, o.log);
  const manifestPath = join(dir, "manifest.json");
  if (!existsSync(manifestPath)) throw new WireError("the build artifact has no manifest.json at its root");
  const resource = parseManifestResource(JSON.parse(await readFile(manifestPath, "utf8")), o.resourceName);
  const modulePath = join(dir, "resources", `${o.resourceName}.mjs`);
  if (!existsSync(modulePath)) {
    throw new WireError(
      `the build artifact has no bundle for resource "${o.resourceName}" (expected resources/${o.resourceName}.mjs)`,
    );
  }
  // The artifact carries its dependencies, installed at build time: nothing is installed here, and
  // a package missing from it fails the import that needs it, naming it.
  await linkFlashPackage(dir);
  return { dir, resource, modulePath };
}

/** Same artifact file, same folder: keyed by path, size and mtime (hashing a 1.5 GB tarball would cost seconds). */
function artifactKey(path: string): string {
  const s = statSync(path);
  return createHash("sha256").update(`${path}\0${s.size}\0${s.mtimeMs}`).digest("hex").slice(0, 20);
}

async function unpack(file: string, dir: string, log: (line: string) => void): Promise<void> {
  log(`unpacking build artifact ${file}`);
  const { x } = await import("tar");
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  await mkdir(tmp, { recursive: true });
  try {
    // tar refuses absolute paths and `..` entries by default, so nothing lands outside `tmp`.
    await x({ file, cwd: tmp, strict: true });
    await writeFile(join(tmp, ".flash-unpacked"), "");
    try {
      await rename(tmp, dir);
    } catch (err) {
      if (existsSync(join(dir, ".flash-unpacked"))) return; // another worker sharing the cache won
      if (!existsSync(dir)) throw err;
      // A leftover without the marker (an interrupted unpack into FLASH_APP_DIR): replace it.
      await rm(dir, { recursive: true, force: true });
      await rename(tmp, dir);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
