import { builtinModules } from "node:module";
import { join, relative } from "node:path";
import { type BuildFailure, build, type Message, type Metafile } from "esbuild";
import type { ScannedResource, ScanResult } from "../scan/types.ts";
import { FlashError } from "../shared/errors.ts";
import { createNativePackagePlugin, type NativePackages, packageNameOf } from "./native-packages.ts";
import { resourceEntrySource } from "./resource-entry.ts";

/** One resource's bundle, written under `<outDir>/resources/`. */
export interface ResourceBundle {
  resourceName: string;
  /** Absolute path of `resources/<resource>.mjs`. */
  file: string;
  bytes: number;
  mapBytes: number;
  /**
   * npm specs the worker installs for this bundle: the resource's declared `dependencies`, plus
   * packages it imports that other files declared or that have native code (left external, pinned
   * to the installed version).
   */
  dependencies: string[];
}

/**
 * Bundles every resource of a scan in one esbuild run: one tree-shaken, self-contained ESM file per
 * resource (`resources/<resource>.mjs` with a linked source map). Its entry is generated (see
 * {@link resourceEntrySource}): it re-exports the file's functions and registers the resources a
 * deployed worker may call, so QB calls can be routed by resource. `runpod-flash`, the packages
 * named in `dependencies` and packages with native code stay external; which of them each bundle
 * imports is read back from esbuild's metafile, so every resource lists exactly what it needs.
 * @throws FlashError BUILD_FAILED naming file:line:column
 */
export async function bundleResources(scan: ScanResult, outDir: string): Promise<ResourceBundle[]> {
  if (scan.resources.length === 0) return [];
  const declared = declaredDependencies(scan.resources);
  const natives: NativePackages = new Map();
  const byName = new Map(scan.resources.map((r) => [r.resourceName, r]));
  const entryPoints: Record<string, string> = {};
  for (const r of scan.resources)
    entryPoints[`resources/${r.resourceName}`] = `flash-entry:${r.resourceName}`;
  const external = ["runpod-flash", "runpod-flash/*"];
  for (const name of declared.keys()) external.push(name, `${name}/*`);
  let metafile: Metafile;
  try {
    const result = await build({
      absWorkingDir: scan.root,
      entryPoints,
      outdir: outDir,
      outExtension: { ".js": ".mjs" },
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      external,
      sourcemap: "linked",
      sourcesContent: false,
      metafile: true,
      logLevel: "silent",
      // Inlined CommonJS packages call require() (for Node built-ins): give the ESM bundle one. Set
      // on globalThis, not declared, so a user module declaring its own `require` does not clash.
      banner: {
        js: 'import { createRequire as __flashCreateRequire } from "node:module"; globalThis.require ??= __flashCreateRequire(import.meta.url);',
      },
      plugins: [
        {
          name: "flash-resource-entries",
          setup(b) {
            b.onResolve({ filter: /^flash-entry:/ }, (args) => ({
              path: args.path.slice("flash-entry:".length),
              namespace: "flash-entry",
            }));
            b.onLoad({ filter: /.*/, namespace: "flash-entry" }, (args) => ({
              contents: resourceEntrySource(byName.get(args.path)!, byName),
              resolveDir: scan.root,
              loader: "js",
            }));
          },
        },
        createNativePackagePlugin(natives, new Set(["runpod-flash", ...declared.keys()])),
      ],
    });
    metafile = result.metafile;
  } catch (err) {
    throw buildError(err, scan.root);
  }
  return scan.resources.map((r) => {
    const out = join(outDir, "resources", `${r.resourceName}.mjs`);
    const key = relative(scan.root, out).split("\\").join("/");
    const meta = metafile.outputs[key];
    const map = metafile.outputs[`${key}.map`];
    if (!meta) throw new FlashError("INTERNAL", `esbuild wrote no bundle for ${r.resourceName} (${key})`);
    const imported = new Set<string>();
    for (const imp of meta.imports) {
      if (!imp.external || isBuiltin(imp.path)) continue;
      const name = packageNameOf(imp.path);
      if (name !== "runpod-flash") imported.add(name);
    }
    const own = new Map(
      r.functions.flatMap((f) => f.dependencies).map((spec) => [packageNameOf(spec), spec] as const),
    );
    // Everything the resource's functions declare (a package may be used without an import, e.g.
    // a CLI it spawns), plus whatever else its bundle imports from outside.
    const dependencies = [...own.values()];
    for (const name of [...imported].sort()) {
      if (!own.has(name)) dependencies.push(declared.get(name) ?? natives.get(name)?.spec ?? name);
    }
    return {
      resourceName: r.resourceName,
      file: out,
      bytes: meta.bytes,
      mapBytes: map?.bytes ?? 0,
      dependencies,
    };
  });
}

/** Package name → the spec a function declared for it (the first one seen, in file order). */
function declaredDependencies(resources: readonly ScannedResource[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of resources) {
    for (const f of r.functions) {
      for (const spec of f.dependencies) {
        const name = packageNameOf(spec);
        if (!out.has(name)) out.set(name, spec);
      }
    }
  }
  return out;
}

const BUILTINS = new Set(builtinModules);

function isBuiltin(path: string): boolean {
  return path.startsWith("node:") || BUILTINS.has(path) || BUILTINS.has(path.split("/")[0]!);
}

function buildError(err: unknown, root: string): FlashError {
  const failure = err as Partial<BuildFailure>;
  const first: Message | undefined = failure.errors?.[0];
  if (!first) return new FlashError("BUILD_FAILED", `bundling failed: ${String(err)}`, { cause: err });
  const loc = first.location;
  const file = loc ? relative(root, join(root, loc.file)).split("\\").join("/") : undefined;
  const where =
    loc && file && !file.startsWith("flash-entry:") ? `${file}:${loc.line}:${loc.column + 1}: ` : "";
  const more = (failure.errors?.length ?? 1) > 1 ? ` (and ${failure.errors!.length - 1} more)` : "";
  return new FlashError("BUILD_FAILED", `${where}${first.text}${more}`, { cause: err });
}
