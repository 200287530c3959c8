import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { ScanResult } from "../scan/types.ts";
import { FlashError } from "../shared/errors.ts";
import { Manifest, type ManifestResource } from "../shared/schemas/manifest.ts";

/** Where the manifest lives, relative to the project root. */
export const MANIFEST_PATH = ".flash/manifest.json";

/** Builds the manifest (PRD section 10 plus each resource's config) from a scan. Pure. */
export function createManifest(scan: ScanResult): Manifest {
  const resources: Record<string, ManifestResource> = {};
  for (const r of scan.resources) {
    resources[r.resourceName] = {
      resource_type: r.resourceType,
      file_path: r.file,
      local_path_prefix: r.urlPrefix,
      module_path: r.modulePath,
      functions: r.functions.map((fn) =>
        r.isLoadBalanced
          ? { name: fn.name, http_method: fn.method ?? "POST", http_path: fn.path ?? "/" }
          : fn.name,
      ),
      is_load_balanced: r.isLoadBalanced,
      makes_remote_calls: r.makesRemoteCalls,
      config: {
        ...r.config,
        name: r.endpointName,
        dependencies: union(r.functions.map((f) => f.dependencies)),
        systemDependencies: union(r.functions.map((f) => f.systemDependencies)),
        calls: r.calls,
      },
    };
  }
  return { version: "1.0", project_name: basename(scan.root), resources };
}

function union(lists: string[][]): string[] {
  return [...new Set(lists.flat())];
}

/** Writes `.flash/manifest.json` atomically (other `.flash/` files are left alone). */
export async function writeManifest(root: string, manifest: Manifest): Promise<string> {
  const path = join(root, MANIFEST_PATH);
  await mkdir(join(root, ".flash"), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(tmp, path);
  return path;
}

/** Reads and validates a manifest. @throws FlashError INVALID_DATA naming the file and the field */
export async function readManifest(path: string): Promise<Manifest> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new FlashError("INVALID_DATA", `Cannot read ${path}: ${(err as Error).message}`, {
      hint: "Run `flash build` to write it again.",
    });
  }
  const parsed = Manifest.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new FlashError(
      "INVALID_DATA",
      `${path} is not a valid Flash manifest: ${issue.path.join(".")}: ${issue.message}`,
      {
        hint: "Run `flash build` to write it again.",
      },
    );
  }
  return parsed.data;
}
