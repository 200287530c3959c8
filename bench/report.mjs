/** Prints benchmark sections as aligned tables: label, milliseconds (or a preformatted value), target. */
export function printReport(sections) {
  for (const { title, rows } of sections) {
    console.log(`\n${title}`);
    const width = Math.max(...rows.map((r) => r[0].length));
    for (const [label, value, target] of rows) {
      const shown = typeof value === "number" ? `${value.toFixed(1)} ms` : String(value);
      console.log(`  ${label.padEnd(width)}  ${shown.padStart(12)}  ${target ?? ""}`);
    }
  }
}
