/**
 * Naming rules of SPEC section 3: every name Flash derives from a file's project-relative path.
 * Paths are POSIX (`workers/gpu/inference.ts`).
 */

/** Extensions the scanner reads. */
export const SCANNED_EXTENSIONS = [".ts", ".mts", ".js", ".mjs"] as const;

/** The path without its extension: `workers/gpu.ts` → `workers/gpu`. */
export function stripExtension(path: string): string {
  return path.replace(/\.(m?ts|m?js)$/, "");
}

/** URL prefix on the dev server: `workers/gpu/inference.ts` → `/workers/gpu/inference`. */
export function urlPrefixOf(path: string): string {
  return `/${stripExtension(path)}`;
}

/**
 * Resource name: the path without extension, with `/`, `-` and every other non-identifier
 * character turned into `_` (`longruns/stage1.ts` → `longruns_stage1`, `my-worker.ts` → `my_worker`).
 */
export function resourceNameOf(path: string): string {
  return stripExtension(path).replace(/[^A-Za-z0-9_]/g, "_");
}

/** Module path: the path without extension, `/` → `.` (`longruns/stage1.ts` → `longruns.stage1`). */
export function modulePathOf(path: string): string {
  return stripExtension(path).replaceAll("/", ".");
}

/** Tag grouping a file's routes in the OpenAPI document: `api/routes [LB]`. */
export function tagOf(path: string, loadBalanced: boolean): string {
  return `${stripExtension(path)} [${loadBalanced ? "LB" : "QB"}]`;
}

/** RunPod's limit on endpoint (and template) names. */
export const MAX_ENDPOINT_NAME = 64;

/** Length of the session id in live endpoint names (3 random bytes in hex). */
export const LIVE_SESSION_ID_LENGTH = 6;

/** The name of a resource's live endpoint in a dev session: `live-<name>-<session id>` (SPEC section 5). */
export function liveEndpointNameOf(endpointName: string, sessionId: string): string {
  return `live-${endpointName}-${sessionId}`;
}

/** The longest endpoint name whose live endpoint name still fits RunPod's limit. */
export const MAX_LIVE_ENDPOINT_NAME =
  MAX_ENDPOINT_NAME - liveEndpointNameOf("", "x".repeat(LIVE_SESSION_ID_LENGTH)).length;
