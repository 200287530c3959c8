import { statSync } from "node:fs";
import { resolve } from "node:path";
import { noFunctionsError, routesOf } from "../../scan/index.ts";
import { ROUTE_COLUMNS } from "../../scan/routes.ts";
import { scanProjectCached } from "../../scan/scan-cache.ts";
import { FlashError } from "../../shared/errors.ts";
import { formatWarnings, table } from "../format.ts";

/**
 * `flash routes [--json] [dir]`: what discovery finds, without starting anything. The scan result
 * is kept between runs (keyed by the bytes of every scanned file), so a repeated call on unchanged
 * files does not parse again.
 */
export async function routesCommand(dir: string, opts: { json?: boolean }): Promise<void> {
  const root = resolve(dir);
  const kind = statSync(root, { throwIfNoEntry: false });
  if (!kind) throw new FlashError("USAGE", `the folder ${dir} does not exist (looked for ${root}).`);
  if (!kind.isDirectory()) {
    throw new FlashError("USAGE", `${dir} is not a folder; give the project folder (flash routes [dir]).`);
  }
  const scan = await scanProjectCached(root);
  if (scan.resources.length === 0) throw noFunctionsError(root);
  const routes = routesOf(scan);
  process.stderr.write(formatWarnings(scan.warnings));
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(routes, null, 2)}\n`);
    return;
  }
  const rows = routes.map((r) => [r.method, r.path, r.resource, r.type, `${r.file}:${r.line}`]);
  process.stdout.write(`${table(ROUTE_COLUMNS, rows)}\n`);
}
