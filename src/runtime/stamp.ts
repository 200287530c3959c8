import { readFileSync } from "node:fs";
import { join } from "node:path";
import { flashPackageRoot } from "./code-cache.ts";

declare const __FLASH_VERSION__: string | undefined;
declare const __FLASH_BUILD_ID__: string | undefined;

/**
 * The worker's first log line: which runtime runs and from where, read from the package.json of
 * the runpod-flash folder it runs from (an artifact's `node_modules/runpod-flash` on RunPod), so a
 * worker's log shows the runtime version that built its artifact.
 */
export function runtimeStamp(): string {
  const root = flashPackageRoot();
  let version = typeof __FLASH_VERSION__ === "string" ? __FLASH_VERSION__ : "dev";
  let build = typeof __FLASH_BUILD_ID__ === "string" ? __FLASH_BUILD_ID__ : "unbuilt";
  if (root) {
    try {
      const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Record<string, unknown>;
      if (typeof pkg.version === "string") version = pkg.version;
      if (typeof pkg.flashBuildId === "string") build = pkg.flashBuildId;
    } catch {
      // no package.json to read: the compiled-in stamp stands
    }
  }
  return `runtime runpod-flash@${version} (build ${build.slice(0, 12)}) from ${root ?? process.argv[1]}, Node ${process.version}`;
}
