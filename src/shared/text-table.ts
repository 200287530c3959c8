/** Formats rows as aligned columns with a header and a rule line under it (`flash routes`, `flash run`, deploy). */
export function table(header: string[], rows: string[][], indent = "  "): string {
  const widths = columnWidths([header, ...rows]);
  const line = (cells: string[]) => alignRow(cells, widths, indent);
  return [line(header), line(widths.map((w) => "─".repeat(w))), ...rows.map(line)].join("\n");
}

/** Rows aligned in columns without a header, e.g. the routes a reload added and removed. */
export function alignedRows(rows: string[][], indent = "  "): string[] {
  const widths = columnWidths(rows);
  return rows.map((cells) => alignRow(cells, widths, indent));
}

function columnWidths(rows: string[][]): number[] {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return widths;
}

function alignRow(cells: string[], widths: number[], indent: string): string {
  return (
    indent +
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("    ")
      .trimEnd()
  );
}
