import { ROUTE_COLUMNS } from "../scan/routes.ts";
import type { ScanWarning } from "../scan/types.ts";
import { alignedRows, table } from "../shared/text-table.ts";
import { type DevRoute, routeKey } from "./routes.ts";

/** A route's cells under {@link ROUTE_COLUMNS}. */
function routeRow(r: DevRoute): string[] {
  return [
    r.method,
    r.path,
    r.resource.resourceName,
    r.resource.isLoadBalanced ? "LB" : "QB",
    `${r.resource.file}:${r.fn.at.line}`,
  ];
}

/** The routes shown to the user: the listed ones, in scan order. */
function listed(routes: readonly DevRoute[]): DevRoute[] {
  return routes.filter((r) => r.listed);
}

/**
 * The startup table of PRD section 8.1: heading, one row per route (method and local path,
 * resource, type), where QB functions run, that each QB prefix serves RunPod's whole queue API,
 * and the docs link.
 */
export function startupTable(options: {
  url: string;
  routes: readonly DevRoute[];
  executesOn: string;
  portNote?: string;
  /** Milliseconds from the process's start to serving, shown in the heading. */
  readyMs?: number;
}): string {
  const ready = options.readyMs === undefined ? "" : `  ready in ${Math.round(options.readyMs)} ms`;
  const out = [`Flash Dev Server  ${options.url}${ready}`, ""];
  if (options.portNote) out.splice(1, 0, options.portNote);
  // The same columns as `flash routes`.
  out.push(table(ROUTE_COLUMNS, listed(options.routes).map(routeRow)), "");
  out.push(`  QB functions execute on: ${options.executesOn}`);
  if (options.routes.some((r) => r.kind === "qb")) {
    out.push(
      "  Each QB prefix is a RunPod endpoint: also /runsync, /status/{id}, /status-sync/{id}, /stream/{id}, /cancel/{id}, /retry/{id}, /purge-queue, /health",
    );
  }
  out.push(`  Visit ${options.url}/docs for Swagger UI`);
  out.push("  Press Ctrl+C to stop; the endpoints this session created are removed on exit");
  return `${out.join("\n")}\n`;
}

/** What a reload changed, as aligned lines like `+ POST    /gpu_worker/run    gpu_worker    QB    gpu_worker.ts:5`; empty when nothing did. */
export function routeChanges(before: readonly DevRoute[], after: readonly DevRoute[]): string[] {
  const old = new Map(listed(before).map((r) => [routeKey(r), r]));
  const now = new Map(listed(after).map((r) => [routeKey(r), r]));
  const signs: string[] = [];
  const rows: string[][] = [];
  const add = (sign: string, r: DevRoute) => {
    signs.push(sign);
    rows.push(routeRow(r));
  };
  for (const [key, r] of now) if (!old.has(key)) add("+", r);
  for (const [key, r] of old) if (!now.has(key)) add("-", r);
  return alignedRows(rows, "").map((line, i) => `  ${signs[i]} ${line}`);
}

/** A scan warning as `file:line:col: warning: message`. */
export function formatWarning(w: ScanWarning): string {
  return `${w.at.file}:${w.at.line}:${w.at.column}: warning: ${w.message}`;
}
