import type { RouteInfo, ScanResult } from "./types.ts";

/** The columns `flash routes` prints, which `flash run`'s start-up table and reload diff share. */
export const ROUTE_COLUMNS = ["Method", "Local path", "Resource", "Type", "Source"];

/**
 * The dev server's routes, in the order `flash routes` prints them (SPEC section 4): a QB file with
 * one function gets `POST {prefix}/run` and `POST {prefix}/run_sync`; with several, each function
 * gets `POST {prefix}/{fn}/run` and `.../run_sync`; an LB function gets `{method} {prefix}{path}`.
 */
export function routesOf(result: Pick<ScanResult, "resources">): readonly RouteInfo[] {
  // The scan checks route collisions with these same routes; callers get that list, not a rebuild.
  const known = computed.get(result.resources);
  if (known) return known;
  const routes: RouteInfo[] = [];
  for (const r of result.resources) {
    const type = r.isLoadBalanced ? "LB" : "QB";
    for (const fn of r.functions) {
      // Object literals written out (not spread from a shared base): this runs cold, once per scan.
      const route = (method: RouteInfo["method"], path: string): RouteInfo => ({
        method,
        path,
        resource: r.resourceName,
        type,
        function: fn.name,
        file: r.file,
        line: fn.at.line,
      });
      if (r.isLoadBalanced) {
        routes.push(route(fn.method ?? "POST", `${r.urlPrefix}${fn.path === "/" ? "" : fn.path}` || "/"));
      } else {
        const prefix = r.functions.length === 1 ? r.urlPrefix : `${r.urlPrefix}/${fn.name}`;
        routes.push(route("POST", `${prefix}/run`), route("POST", `${prefix}/run_sync`));
      }
    }
  }
  computed.set(result.resources, routes);
  return routes;
}

const computed = new WeakMap<readonly unknown[], readonly RouteInfo[]>();
