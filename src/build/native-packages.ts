import { existsSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join } from "node:path";
import type { Plugin } from "esbuild";
import { z } from "zod";

/** A package left out of the bundles because it carries native code. */
export interface NativePackage {
  name: string;
  /** `name@version` of the installed copy, what the worker installs. */
  spec: string;
}

/** Native packages found while bundling, by package name. */
export type NativePackages = Map<string, NativePackage>;

const BUILTINS = new Set(builtinModules);

/** Packages whose presence among a package's dependencies means it loads a compiled addon. */
const ADDON_LOADERS = new Set([
  "node-gyp-build",
  "node-gyp-build-optional-packages",
  "bindings",
  "prebuild-install",
  "@mapbox/node-pre-gyp",
  "node-pre-gyp",
  "nan",
  "node-addon-api",
  "napi-build-utils",
]);

/**
 * Marks packages with native code external instead of inlining them: a compiled addon cannot be
 * bundled, and the developer's machine (say macOS arm64) may not even have the worker's (Linux x64)
 * build. A package counts as native when it has a `binding.gyp`, `gypfile: true`, a node-pre-gyp
 * `binary` field, an addon loader among its dependencies, or platform-specific optional
 * dependencies (how sharp, esbuild and swc ship binaries). Packages in `external` are skipped (they
 * are external already). Each is recorded in `found` with its
 * installed version so the worker installs the same one.
 */
export function createNativePackagePlugin(found: NativePackages, external: ReadonlySet<string>): Plugin {
  const verdicts = new Map<string, NativePackage | null>();
  const dirs = new Map<string, string | undefined>();
  return {
    name: "flash-native-packages",
    setup(b) {
      // esbuild filters are Go regular expressions (no lookahead): bare specifiers, checked below.
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.kind === "entry-point" || args.path.startsWith("node:")) return undefined;
        if (BUILTINS.has(args.path.split("/")[0]!)) return undefined;
        const name = packageNameOf(args.path);
        if (external.has(name)) return undefined; // external already, whatever it holds
        const key = `${args.resolveDir}\0${name}`;
        let dir = dirs.get(key);
        if (!dirs.has(key)) {
          dir = findPackageDir(name, args.resolveDir);
          dirs.set(key, dir);
        }
        if (!dir) return undefined;
        let verdict = verdicts.get(dir);
        if (verdict === undefined) {
          verdict = nativePackageAt(dir, name);
          verdicts.set(dir, verdict);
        }
        if (!verdict) return undefined;
        if (!found.has(name)) found.set(name, verdict);
        return { path: args.path, external: true };
      });
    },
  };
}

/** `lodash@4` → `lodash`, `@scope/pkg@^1` → `@scope/pkg`, `pkg/sub/path` → `pkg`. */
export function packageNameOf(spec: string): string {
  const at = spec.indexOf("@", spec.startsWith("@") ? 1 : 0);
  const bare = at > 0 ? spec.slice(0, at) : spec;
  const parts = bare.split("/");
  return bare.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

function findPackageDir(name: string, from: string): string | undefined {
  for (let dir = from; ; ) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** The fields of a package.json that tell native packages apart; anything else is ignored. */
const PackageJson = z.looseObject({
  version: z.string().optional().catch(undefined),
  gypfile: z.unknown().optional(),
  binary: z.unknown().optional(),
  dependencies: z.record(z.string(), z.unknown()).optional().catch(undefined),
  peerDependencies: z.record(z.string(), z.unknown()).optional().catch(undefined),
  optionalDependencies: z.record(z.string(), z.unknown()).optional().catch(undefined),
});

function nativePackageAt(dir: string, name: string): NativePackage | null {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  } catch {
    return null; // unreadable: leave it to esbuild, which will report a real problem
  }
  const parsed = PackageJson.safeParse(raw);
  if (!parsed.success) return null;
  const pkg = parsed.data;
  const deps = { ...pkg.dependencies, ...pkg.peerDependencies };
  const optional = Object.keys(pkg.optionalDependencies ?? {});
  const native =
    pkg.gypfile === true ||
    existsSync(join(dir, "binding.gyp")) ||
    (typeof pkg.binary === "object" && pkg.binary !== null) ||
    Object.keys(deps).some((d) => ADDON_LOADERS.has(d)) ||
    optional.some((d) => /(linux|darwin|win32|freebsd)/.test(d));
  if (!native) return null;
  return { name, spec: pkg.version ? `${name}@${pkg.version}` : name };
}
