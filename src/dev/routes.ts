import type { RemoteFunctionInfo, ScannedResource, ScanResult } from "../scan/types.ts";
import type { HttpMethod } from "../sdk/enums.ts";
import { FlashError } from "../shared/errors.ts";

/** RunPod's request size limits, which the dev server enforces so nothing passes locally that fails there. */
export const BODY_LIMITS = {
  run: 10 * 1024 * 1024,
  runSync: 20 * 1024 * 1024,
  lb: 30 * 1024 * 1024,
} as const;

/** How 413 answers name each limit: `The body is too large (over <label>).` */
export const LIMIT_LABELS = {
  run: "10 MB, RunPod's limit for /run",
  runSync: "20 MB, RunPod's limit for /run_sync",
  lb: "30 MB, RunPod's limit for load-balanced requests",
} as const;

/** The operation a QB route performs; `runsync` is RunPod's current spelling of `run_sync`. */
export type QbOperation = "run" | "run_sync" | "runsync";

interface RouteBase {
  method: HttpMethod;
  /** Path as the user sees it, `{param}` segments kept. */
  path: string;
  resource: ScannedResource;
  fn: RemoteFunctionInfo;
  /** Shown in the startup table (the extra RunPod spellings and status routes are not). */
  listed: boolean;
}

/** A route that dispatches a job to a queue-based function. */
export interface QbRoute extends RouteBase {
  kind: "qb";
  operation: QbOperation;
}

/** `GET {base}/status/{id}`: a job of this session. */
export interface StatusRoute extends RouteBase {
  kind: "status";
}

/** A load-balanced route: the handler runs in the dev server process. */
export interface LbRoute extends RouteBase {
  kind: "lb";
}

export type DevRoute = QbRoute | StatusRoute | LbRoute;

/**
 * Every route the dev server serves for a scan, in table order (SPEC section 4): a QB file with one
 * function gets `{prefix}/run` and `{prefix}/run_sync`, one with several `{prefix}/{fn}/run` and
 * `{prefix}/{fn}/run_sync`; each QB base also answers `/runsync` and `GET /status/{id}`; an LB
 * function is served at `{prefix}{path}` with its method.
 */
export function devRoutesOf(scan: ScanResult): DevRoute[] {
  const routes: DevRoute[] = [];
  for (const resource of scan.resources) {
    for (const fn of resource.functions) {
      if (resource.isLoadBalanced) {
        routes.push({
          kind: "lb",
          method: fn.method ?? "POST",
          path: joinPath(resource.urlPrefix, fn.path ?? "/"),
          resource,
          fn,
          listed: true,
        });
        continue;
      }
      const base = resource.functions.length === 1 ? resource.urlPrefix : `${resource.urlPrefix}/${fn.name}`;
      const qb = (operation: QbOperation, listed: boolean): QbRoute => ({
        kind: "qb",
        method: "POST",
        path: `${base}/${operation}`,
        operation,
        resource,
        fn,
        listed,
      });
      routes.push(qb("run", true), qb("run_sync", true), qb("runsync", false));
      routes.push({
        kind: "status",
        method: "GET",
        path: `${base}/status/{id}`,
        resource,
        fn,
        listed: false,
      });
    }
  }
  return routes;
}

/** Paths of the docs app: Swagger UI (`/docs`, its assets and config) and `/openapi.json`. */
const DOCS_PATH = /^\/(openapi\.json|docs(\/(static\/.*|json|yaml|uiConfig|initOAuth|index\.html)?)?)$/;

/** True when a request path is for the docs app (`/docs`, its assets, `/openapi.json`). */
export function isDocsPath(path: string): boolean {
  return DOCS_PATH.test(path);
}

/** True for paths the dev server serves itself: `/`, `/ping`, and the docs app's. */
function isReservedPath(path: string): boolean {
  const bare = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  return bare === "/" || bare === "/ping" || isDocsPath(bare) || /^\/docs\/static\//.test(path);
}

/**
 * Refuses project routes that would shadow (or be shadowed by) the dev server's own paths.
 * @throws FlashError SCAN_INVALID naming file:line of each such route
 */
export function checkReservedRoutes(routes: readonly DevRoute[]): void {
  const clashes = routes.filter((r) => r.listed && isReservedPath(r.path));
  if (clashes.length === 0) return;
  const lines = clashes.map(
    (r) =>
      `${r.resource.file}:${r.fn.at.line}:${r.fn.at.column}: ${r.method} ${r.path} is served by the dev server itself (/, /ping, /openapi.json, /docs); choose another path or file name`,
  );
  throw new FlashError("SCAN_INVALID", lines.join("\n"));
}

/** `{id}` segments in Fastify's `:id` form. */
export function toFastifyPath(path: string): string {
  return path.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ":$1");
}

/** A matcher for a route path with `{param}` segments, used to tell 405 from 404. */
export function pathMatcher(path: string): RegExp {
  const parts = path.split(/(\{[A-Za-z_][A-Za-z0-9_]*\})/);
  const source = parts
    .map((part) => (/^\{.*\}$/.test(part) ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}/?$`);
}

/** A short key for comparing route sets across reloads. */
export function routeKey(route: DevRoute): string {
  return `${route.method} ${route.path}`;
}

/** A declared path of `/` serves at the bare prefix, as `flash routes` lists it. */
function joinPath(prefix: string, path: string): string {
  return path === "/" ? prefix || "/" : `${prefix}${path}`;
}
