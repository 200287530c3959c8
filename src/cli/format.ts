import type { ScanWarning } from "../scan/types.ts";

/** Formats rows as aligned columns with a header and a rule line under it. */
export function table(header: string[], rows: string[][], indent = "  "): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string =>
    indent +
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("    ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "─".repeat(w))), ...rows.map(line)].join("\n");
}

/** Warnings as `warning: file:line:col: message` lines. */
export function formatWarnings(warnings: readonly ScanWarning[]): string {
  return warnings.map((w) => `warning: ${w.at.file}:${w.at.line}:${w.at.column}: ${w.message}\n`).join("");
}
