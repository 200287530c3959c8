import { DEFAULT_IMAGES, type KnownImage, knownImage } from "../deploy/images.ts";
import { parseCommand } from "./command-line.ts";

/**
 * How the emulator starts the workers of a template (SPEC section 6). It runs no containers, so it
 * starts workers only where it knows what the container would do:
 * - a public image it knows (the official Node images, NVIDIA's CUDA images) or one a
 *   `FLASH_IMAGE_*` variable names (a prebaked image from `docker/`, which has Node), with a start
 *   command: it runs that command, as the container would, in a fresh folder per worker;
 * - a Flash worker image (`runpod/flash-ts-worker-*`, `…/flash:tag`) with no start command: the
 *   image's own command runs the Flash runtime, and the emulator runs its own runtime in its place;
 * - anything else (a vLLM worker, a known image with no start command): no workers; jobs wait for an
 *   outside worker the user starts.
 */
export type Launch =
  | { kind: "start-command"; argv: string[]; image: string; hasNode: boolean }
  | { kind: "runtime" }
  | { kind: "none"; why: string };

/**
 * Flash worker images, Python's (`runpod/flash`, `runpod/flash-lb-cpu`, …) or ours
 * (`runpod/flash-ts-worker-gpu`, `runpod-flash-ts/worker-gpu`, `…/flash-worker`), from any registry
 * and with any tag: some path segment has `flash` as a whole word (`flashattention` is not one).
 */
export function isFlashWorkerImage(imageName: string): boolean {
  const path = imageName.replace(/@.*$/, "").replace(/:[^/]*$/, "");
  return path.split("/").some((segment) => /(^|[-_.])flash([-_.]|$)/.test(segment));
}

/** The image facts the emulator goes by: a known public image, or a `FLASH_IMAGE_*` replacement (has Node). */
function imageFacts(imageName: string, overrides: ReadonlySet<string>): KnownImage | undefined {
  return knownImage(imageName) ?? (overrides.has(imageName) ? { kind: "node", hasNode: true } : undefined);
}

/** The images the `FLASH_IMAGE_*` variables of `env` name. */
export function imageOverrides(env: NodeJS.ProcessEnv = process.env): Set<string> {
  const out = new Set<string>();
  for (const key of Object.keys(DEFAULT_IMAGES)) {
    const value = env[key]?.trim();
    if (value) out.add(value);
  }
  return out;
}

/** How workers of a template on `imageName` with `dockerArgs` start (see {@link Launch}). */
export function launchOf(
  template: { imageName: string; dockerArgs: string },
  overrides: ReadonlySet<string> = imageOverrides(),
): Launch {
  const image = template.imageName.trim();
  if (!image) return { kind: "none", why: "its template has no image" };
  const command = template.dockerArgs.trim();
  const facts = imageFacts(image, overrides);
  if (command && (facts || isFlashWorkerImage(image))) {
    let argv: string[];
    try {
      argv = parseCommand(command);
    } catch (err) {
      return { kind: "none", why: `its start command cannot be read: ${(err as Error).message}` };
    }
    if (argv.length === 0) return { kind: "none", why: "its start command is empty" };
    return { kind: "start-command", argv, image, hasNode: facts?.hasNode ?? true };
  }
  if (!command && isFlashWorkerImage(image)) return { kind: "runtime" };
  if (facts) {
    return {
      kind: "none",
      why: `no Flash workers for image ${image}: its template has no start command (dockerArgs), so the image's own command runs and it is no Flash worker`,
    };
  }
  return {
    kind: "none",
    why: `no Flash workers for image ${image}: the emulator runs only images it knows (node, nvidia/cuda, FLASH_IMAGE_*) and Flash worker images`,
  };
}

/** Whether the emulator starts workers for a template on this image (the control plane's warning). */
export function runnableImages(env: NodeJS.ProcessEnv = process.env): (imageName: string) => boolean {
  const overrides = imageOverrides(env);
  return (imageName) => {
    const name = imageName.trim();
    return imageFacts(name, overrides) !== undefined || isFlashWorkerImage(name);
  };
}
