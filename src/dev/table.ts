import type { ScanWarning } from "../scan/types.ts";
import { type DevRoute, routeKey } from "./routes.ts";

/** The routes shown to the user: the listed ones, in scan order. */
function listed(routes: readonly DevRoute[]): DevRoute[] {
  return routes.filter((r) => r.listed);
}

/**
 * The startup table of PRD section 8.1: heading, one row per route (method and local path,
 * resource, type), where QB functions run, and the docs link.
 */
export function startupTable(options: {
  url: string;
  routes: readonly DevRoute[];
  executesOn: string;
  portNote?: string;
  /** Milliseconds from the process's start to serving, shown in the heading. */
  readyMs?: number;
}): string {
  const rows = listed(options.routes).map((r) => [
    `${r.method.padEnd(5)} ${r.path}`,
    r.resource.resourceName,
    r.resource.isLoadBalanced ? "LB" : "QB",
  ]);
  const header = ["Local path", "Resource", "Type"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: string[]) =>
    `  ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd((widths[i] as number) + 4))).join("")}`.trimEnd();
  const ready = options.readyMs === undefined ? "" : `  ready in ${Math.round(options.readyMs)} ms`;
  const out = [`Flash Dev Server  ${options.url}${ready}`, ""];
  if (options.portNote) out.splice(1, 0, options.portNote);
  out.push(line(header), line(widths.map((w) => "─".repeat(w))), ...rows.map(line), "");
  out.push(`  QB functions execute on: ${options.executesOn}`);
  out.push(`  Visit ${options.url}/docs for Swagger UI`);
  out.push("  Press Ctrl+C to stop; the endpoints this session created are removed on exit");
  return `${out.join("\n")}\n`;
}

/** What a reload changed, as lines like `+ POST  /gpu_worker/run  gpu_worker  QB`; empty when nothing did. */
export function routeChanges(before: readonly DevRoute[], after: readonly DevRoute[]): string[] {
  const old = new Map(listed(before).map((r) => [routeKey(r), r]));
  const now = new Map(listed(after).map((r) => [routeKey(r), r]));
  const show = (sign: string, r: DevRoute) =>
    `  ${sign} ${r.method.padEnd(5)} ${r.path}  ${r.resource.resourceName}  ${r.resource.isLoadBalanced ? "LB" : "QB"}`;
  const lines: string[] = [];
  for (const [key, r] of now) if (!old.has(key)) lines.push(show("+", r));
  for (const [key, r] of old) if (!now.has(key)) lines.push(show("-", r));
  return lines;
}

/** A scan warning as `file:line:col: warning: message`. */
export function formatWarning(w: ScanWarning): string {
  return `${w.at.file}:${w.at.line}:${w.at.column}: warning: ${w.message}`;
}
