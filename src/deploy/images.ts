import { type ResourceType, resourceTraits } from "../sdk/config.ts";
import { FlashError } from "../shared/errors.ts";

/**
 * The public images Flash's endpoints run by default (SPEC sections 6 and 8). Nothing is built or
 * published for a deploy: each template names one of these with the start command of
 * start-command.ts, which unpacks the build artifact and starts the runtime it carries.
 * - CPU: the official Node LTS image (Debian bookworm, glibc).
 * - GPU: NVIDIA's CUDA 12 image with the cuDNN 9 runtime libraries, what onnxruntime-node's CUDA
 *   provider, node-llama-cpp's CUDA build and transformers.js (onnxruntime underneath) load. It has
 *   no Node, so artifacts for it carry one (src/build/carried-node.ts).
 */
export const NODE_IMAGE = "node:24-bookworm-slim";
export const CUDA_IMAGE = "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04";

/**
 * The default image of each kind of endpoint; each can be replaced with an environment variable of
 * that name, e.g. with a prebaked image from `docker/` for faster cold starts.
 */
export const DEFAULT_IMAGES = {
  FLASH_IMAGE_GPU: CUDA_IMAGE,
  FLASH_IMAGE_CPU: NODE_IMAGE,
  FLASH_IMAGE_LB_GPU: CUDA_IMAGE,
  FLASH_IMAGE_LB_CPU: NODE_IMAGE,
} as const;

/**
 * The image an endpoint of this resource type runs: the config's own `imageName` for
 * ServerlessEndpoint / CpuServerlessEndpoint, else the default for its kind or its `FLASH_IMAGE_*`.
 */
export function workerImage(
  resourceType: ResourceType,
  imageName: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const traits = resourceTraits[resourceType];
  if (traits.ownImage && imageName) return imageName;
  return env[imageKey(resourceType)]?.trim() || DEFAULT_IMAGES[imageKey(resourceType)];
}

/** The `FLASH_IMAGE_*` variable that names the image of a resource type. */
export function imageKey(resourceType: ResourceType): keyof typeof DEFAULT_IMAGES {
  const traits = resourceTraits[resourceType];
  return traits.loadBalanced
    ? traits.cpu
      ? "FLASH_IMAGE_LB_CPU"
      : "FLASH_IMAGE_LB_GPU"
    : traits.cpu
      ? "FLASH_IMAGE_CPU"
      : "FLASH_IMAGE_GPU";
}

/**
 * Whether Flash's start command goes in the template (its `dockerArgs`): yes for Flash's images and
 * their `FLASH_IMAGE_*` replacements; not for a bring-your-own `imageName`, whose own command runs
 * (an image built from `docker/` has the start command as its CMD).
 */
export function usesStartCommand(resourceType: ResourceType, imageName: string | undefined): boolean {
  return !(resourceTraits[resourceType].ownImage && imageName);
}

/** A public image Flash knows, and whether it has Node on its PATH. */
export interface KnownImage {
  kind: "node" | "cuda";
  hasNode: boolean;
}

/**
 * The public images Flash knows, from any tag or digest: the official Node images
 * (`node`, `library/node`, `docker.io/library/node`) and NVIDIA's CUDA images (`nvidia/cuda`).
 */
export function knownImage(imageName: string): KnownImage | undefined {
  const repo = imageName
    .trim()
    .replace(/@.*$/, "")
    .replace(/:[^/]*$/, "")
    .replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, "");
  if (repo === "node" || repo === "library/node") return { kind: "node", hasNode: true };
  if (repo === "nvidia/cuda") return { kind: "cuda", hasNode: false };
  return undefined;
}

/**
 * Whether an artifact for endpoints on these images must carry its own Node: when any of them is
 * not known to have one (NVIDIA's CUDA images, or an image Flash does not know, such as a
 * `FLASH_IMAGE_*` replacement; the start command prefers the carried Node when there is one).
 */
export function needsCarriedNode(images: Iterable<string>): boolean {
  for (const image of images) if (!knownImage(image)?.hasNode) return true;
  return false;
}

/**
 * Whether artifacts carry a Node for endpoints on `images`: `FLASH_CARRY_NODE=1` always, `=0` never
 * (a prebaked image from `docker/` named by `FLASH_IMAGE_*` has Node), else {@link needsCarriedNode}.
 * @throws FlashError CONFIG_INVALID for another value
 */
export function carriesNode(images: Iterable<string>, env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.FLASH_CARRY_NODE?.trim();
  if (v === undefined || v === "" || v === "auto") return needsCarriedNode(images);
  if (v === "1") return true;
  if (v === "0") return false;
  throw new FlashError("CONFIG_INVALID", `FLASH_CARRY_NODE is ${JSON.stringify(v)}; expected 1, 0 or auto`, {
    hint: "Set FLASH_CARRY_NODE=0 when every FLASH_IMAGE_* image has Node on its PATH, 1 to always carry one.",
  });
}
