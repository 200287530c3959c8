import { relative, resolve } from "node:path";
import type { BuildResult } from "../../build/build-project.ts";
import { formatWarnings, table } from "../format.ts";

/** `flash build [dir]`: manifest, one bundle per resource, `.flash/artifact.tar.gz`, and a size table. */
export async function buildCommand(dir: string): Promise<void> {
  const root = resolve(dir);
  const { buildProject, withBuildLock } = await import("../../build/build-project.ts");
  const result = await withBuildLock(
    root,
    (pid) => process.stdout.write(`${waitingLine(pid, root)}\n`),
    () => buildProject(root, { log: (line) => process.stderr.write(`${line}\n`) }),
  );
  process.stderr.write(formatWarnings(result.scan.warnings));
  process.stdout.write(`${formatBuild(result)}\n`);
}

/** What `build` and `deploy` print while another build or deploy of the project holds its lock. */
export function waitingLine(pid: number, root: string): string {
  return `Another flash build or deploy (pid ${pid}) is using ${root}/.flash; waiting for it to finish...`;
}

/** The resource table and the paths written, as `build` and `deploy` print them. */
export function formatBuild(result: BuildResult): string {
  const bundles = new Map(result.bundles.map((b) => [b.resourceName, b]));
  const rows = result.scan.resources.map((r) => {
    const b = bundles.get(r.resourceName);
    return [
      r.resourceName,
      r.isLoadBalanced ? "LB" : "QB",
      r.resourceType,
      String(r.functions.length),
      b ? formatBytes(b.bytes) : "-",
      b && b.dependencies.length > 0 ? b.dependencies.join(" ") : "-",
      r.file,
    ];
  });
  const root = result.scan.root;
  return [
    table(["Resource", "Type", "Config", "Functions", "Bundle", "Installs", "File"], rows),
    "",
    `Wrote ${result.manifestPath}`,
    `Artifact ${relative(root, result.artifact.path) || result.artifact.path}  ${formatBytes(result.artifact.bytes)}  (${result.bundles.length} bundle${result.bundles.length === 1 ? "" : "s"})`,
  ].join("\n");
}

/** `1.2 kB`, `3.4 MB`. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1_000_000) return `${(n / 1000).toFixed(1)} kB`;
  return `${(n / 1_000_000).toFixed(1)} MB`;
}
