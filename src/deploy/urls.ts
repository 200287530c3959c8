import type { RunpodUrls } from "../cloud/http.ts";

/**
 * Where a deployed endpoint answers (PRD section 6): QB `https://api.runpod.ai/v2/{id}/run`, LB
 * `https://{id}.api.runpod.ai/{path}` per route; under the emulator `<origin>/v2/{id}/run` and
 * `<origin>/lb/{id}/{path}`.
 */
export function endpointUrls(urls: RunpodUrls, id: string, routes: readonly string[] | undefined): string[] {
  if (routes === undefined) return [`${urls.queue}/${id}/run`];
  return routes.map((path) => `${urls.lb(id)}${path}`);
}
