import type { RemoteFunctionInfo, ScannedResource, ScanResult } from "../scan/types.ts";
import type { HttpMethod } from "../sdk/enums.ts";
import { FlashError } from "../shared/errors.ts";
import { QUEUE_OPERATIONS, type QueueOperation } from "../shared/queue-operations.ts";
import { LB_PAYLOAD_LIMIT, RUN_PAYLOAD_LIMIT, RUNSYNC_PAYLOAD_LIMIT } from "../shared/schemas/job.ts";

/** RunPod's request size limits, which the dev server enforces so nothing passes locally that fails there. */
export const BODY_LIMITS = {
  run: RUN_PAYLOAD_LIMIT,
  runSync: RUNSYNC_PAYLOAD_LIMIT,
  lb: LB_PAYLOAD_LIMIT,
} as const;

/**
 * The operation a QB route performs: one of RunPod's queue operations, or `run_sync`, the PRD's
 * spelling of `runsync`.
 */
export type QbOperation = QueueOperation | "run_sync";

interface RouteBase {
  method: HttpMethod;
  /** Path as the user sees it, `{param}` segments kept. */
  path: string;
  resource: ScannedResource;
  fn: RemoteFunctionInfo;
  /** Shown in the startup table (the other queue operations are not). */
  listed: boolean;
}

/**
 * A route of a QB prefix: each prefix (`{prefix}`, or `{prefix}/{fn}` per function of a
 * multi-function file) is a RunPod endpoint serving the whole queue API (SPEC section 4).
 */
export interface QbRoute extends RouteBase {
  kind: "qb";
  operation: QbOperation;
  /** The QB prefix: the path of the endpoint the route belongs to, e.g. `/gpu_worker`. */
  base: string;
}

/** A load-balanced route: the handler runs in the dev server process. */
export interface LbRoute extends RouteBase {
  kind: "lb";
}

export type DevRoute = QbRoute | LbRoute;

/** The queue operations each QB prefix serves besides `/run` and `/run_sync`, in docs order. */
const QUEUE_ROUTES: readonly QueueOperation[] = [
  "runsync",
  "status",
  "status-sync",
  "stream",
  "cancel",
  "retry",
  "purge-queue",
  "health",
];

/**
 * Every route the dev server serves for a scan, in table order (SPEC section 4): a QB file with one
 * function gets `{prefix}/run` and `{prefix}/run_sync`, one with several `{prefix}/{fn}/run` and
 * `{prefix}/{fn}/run_sync`, and each of those prefixes the rest of RunPod's queue API (unlisted);
 * an LB function is served at `{prefix}{path}` with its method.
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
      const qb = (operation: QbOperation, method: HttpMethod, listed: boolean): QbRoute => {
        const info = QUEUE_OPERATIONS[operation === "run_sync" ? "runsync" : operation];
        return {
          kind: "qb",
          method,
          path: `${base}/${operation}${info.needsJob ? "/{id}" : ""}`,
          operation,
          base,
          resource,
          fn,
          listed,
        };
      };
      routes.push(qb("run", "POST", true), qb("run_sync", "POST", true));
      for (const operation of QUEUE_ROUTES) {
        for (const method of QUEUE_OPERATIONS[operation].methods) routes.push(qb(operation, method, false));
      }
    }
  }
  return routes;
}

/** True for paths the dev server serves itself: `/`, `/ping`, `/openapi.json`, Swagger UI's (docs-assets.ts). */
function isReservedPath(path: string): boolean {
  const bare = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  return (
    bare === "/" ||
    bare === "/ping" ||
    bare === "/openapi.json" ||
    bare === "/docs" ||
    bare === "/docs/index.html" ||
    bare.startsWith("/docs/static/")
  );
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

/** A short key for comparing route sets across reloads. */
export function routeKey(route: DevRoute): string {
  return `${route.method} ${route.path}`;
}

/** A declared path of `/` serves at the bare prefix, as `flash routes` lists it. */
function joinPath(prefix: string, path: string): string {
  return path === "/" ? prefix || "/" : `${prefix}${path}`;
}
