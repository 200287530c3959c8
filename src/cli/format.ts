import type { ScanWarning } from "../scan/types.ts";

export { table } from "../shared/text-table.ts";

/** Warnings as `warning: file:line:col: message` lines. */
export function formatWarnings(warnings: readonly ScanWarning[]): string {
  return warnings.map((w) => `warning: ${w.at.file}:${w.at.line}:${w.at.column}: ${w.message}\n`).join("");
}
