import { resolve } from "node:path";
import { createManifest, writeManifest } from "../../build/manifest.ts";
import { noFunctionsError, scanProject } from "../../scan/index.ts";
import { formatWarnings, table } from "../format.ts";

/** `flash build [dir]`: scan and write `.flash/manifest.json`. */
export async function buildCommand(dir: string): Promise<void> {
  const root = resolve(dir);
  const scan = await scanProject(root);
  if (scan.resources.length === 0) throw noFunctionsError(root);
  process.stderr.write(formatWarnings(scan.warnings));
  const manifest = createManifest(scan);
  const path = await writeManifest(root, manifest);
  const rows = scan.resources.map((r) => [
    r.resourceName,
    r.resourceType,
    r.isLoadBalanced ? "LB" : "QB",
    String(r.functions.length),
    r.file,
  ]);
  process.stdout.write(
    `${table(["Resource", "Config", "Type", "Functions", "File"], rows)}\n\nWrote ${path}\n`,
  );
}
