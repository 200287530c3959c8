import { DEFAULT_IMAGES } from "../deploy/images.ts";

/**
 * Which template images the emulator can stand in for. It runs no containers: for a Flash worker
 * image it runs the worker runtime that image would run, as a local process (supervisor.ts). Any
 * other image (a vLLM worker, `myuser/myworker:1`) runs code the emulator does not have, so its
 * endpoints get no spawned workers and their jobs wait for an outside worker the user starts.
 */

/**
 * Flash's worker images, Python's (`runpod/flash`, `runpod/flash-lb-cpu`, …) or ours
 * (`runpod/flash-ts-worker-gpu`, `runpod-flash-ts/worker-gpu`, `…/flash-worker`), from any registry
 * and with any tag: some path segment has `flash` as a whole word (`flashattention` is not one).
 */
export function isFlashWorkerImage(imageName: string): boolean {
  const path = imageName.replace(/@.*$/, "").replace(/:[^/]*$/, "");
  return path.split("/").some((segment) => /(^|[-_.])flash([-_.]|$)/.test(segment));
}

/**
 * A predicate for the images the emulator runs: Flash worker images ({@link isFlashWorkerImage}),
 * plus the images the `FLASH_IMAGE_*` variables of `env` name (deploy and live mode put those in
 * templates instead of the defaults, and they may be named anything).
 */
export function runnableImages(env: NodeJS.ProcessEnv = process.env): (imageName: string) => boolean {
  const overrides = new Set<string>();
  for (const key of Object.keys(DEFAULT_IMAGES)) {
    const value = env[key]?.trim();
    if (value) overrides.add(value);
  }
  return (imageName) => {
    const name = imageName.trim();
    return overrides.has(name) || isFlashWorkerImage(name);
  };
}
