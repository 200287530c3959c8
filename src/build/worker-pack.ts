import { cp, readFile } from "node:fs/promises";
import { z } from "zod";
import { builtFile } from "../shared/package-root.ts";

/**
 * The worker pack: the runtime and the SDK of this CLI as `scripts/build.mjs` writes them to
 * `dist/worker-pack` (a package named runpod-flash, each entry one file with its dependencies
 * inlined). `flash build` copies it into every artifact as `node_modules/runpod-flash`, so a worker
 * runs the runtime version that built its artifact and user bundles import the SDK from it.
 */
export const WorkerPackJson = z.looseObject({
  name: z.literal("runpod-flash"),
  version: z.string(),
  flashBuildId: z.string(),
});
export type WorkerPackJson = z.infer<typeof WorkerPackJson>;

/** Copies the worker pack to `dest` (the artifact's `node_modules/runpod-flash`) and returns its stamp. */
export async function copyWorkerPack(dest: string): Promise<WorkerPackJson> {
  const dir = builtFile("worker-pack");
  const stamp = WorkerPackJson.parse(
    JSON.parse(await readFile(builtFile("worker-pack", "package.json"), "utf8")),
  );
  await cp(dir, dest, { recursive: true });
  return stamp;
}
