import { type ResourceType, resourceTraits } from "../sdk/config.ts";
import { VERSION } from "../shared/version.ts";

/**
 * Flash's worker images (built from `docker/`), one per kind of endpoint. Each can be replaced with
 * an environment variable, e.g. to run images pushed to your own registry:
 * `FLASH_IMAGE_GPU`, `FLASH_IMAGE_CPU`, `FLASH_IMAGE_LB_GPU`, `FLASH_IMAGE_LB_CPU`.
 */
export const DEFAULT_IMAGES = {
  FLASH_IMAGE_GPU: `runpod/flash-ts-worker-gpu:${VERSION}`,
  FLASH_IMAGE_CPU: `runpod/flash-ts-worker-cpu:${VERSION}`,
  FLASH_IMAGE_LB_GPU: `runpod/flash-ts-worker-lb-gpu:${VERSION}`,
  FLASH_IMAGE_LB_CPU: `runpod/flash-ts-worker-lb-cpu:${VERSION}`,
} as const;

/**
 * The image an endpoint of this resource type runs: the config's own `imageName` for
 * ServerlessEndpoint / CpuServerlessEndpoint, else Flash's image for its kind.
 */
export function workerImage(
  resourceType: ResourceType,
  imageName: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const traits = resourceTraits[resourceType];
  if (traits.ownImage && imageName) return imageName;
  const key = traits.loadBalanced
    ? traits.cpu
      ? "FLASH_IMAGE_LB_CPU"
      : "FLASH_IMAGE_LB_GPU"
    : traits.cpu
      ? "FLASH_IMAGE_CPU"
      : "FLASH_IMAGE_GPU";
  return env[key]?.trim() || DEFAULT_IMAGES[key];
}
