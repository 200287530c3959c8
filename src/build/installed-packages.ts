import { closeSync, type Dirent, existsSync, openSync, readdirSync, readFileSync, readSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { z } from "zod";

/** What a look at a node_modules installed for linux x64 (glibc) without install scripts found. */
export interface InstalledReport {
  /** `name@version` of every installed package, sorted. */
  packages: string[];
  /** Packages that cannot work on a linux-x64 worker as installed, one sentence each. */
  problems: string[];
  /** Packages with an install script that was not run but that need no native build. */
  warnings: string[];
}

/** The package.json fields this check reads; anything else is ignored. */
const PackageJson = z.looseObject({
  name: z.string(),
  version: z.string().optional().catch(undefined),
  gypfile: z.unknown().optional(),
  binary: z.unknown().optional(),
  scripts: z.record(z.string(), z.unknown()).optional().catch(undefined),
  optionalDependencies: z.record(z.string(), z.unknown()).optional().catch(undefined),
  os: z.array(z.string()).optional().catch(undefined),
  cpu: z.array(z.string()).optional().catch(undefined),
  libc: z.array(z.string()).optional().catch(undefined),
});
type PackageJson = z.infer<typeof PackageJson>;

const INSTALL_SCRIPTS = ["preinstall", "install", "postinstall"] as const;
/** Tools whose presence in an install script means it compiles or downloads a native addon. */
const NATIVE_BUILDERS = /\b(node-gyp|prebuild-install|node-pre-gyp)\b/;
/** Optional dependencies that carry a linux-x64 glibc binary (`@esbuild/linux-x64`, `*-linux-x64-gnu`). */
const LINUX_X64_BINARY = /linux-x64(?!.*musl)/;

/**
 * Checks every package under `nodeModules` (nested ones too) for what an install with
 * `--ignore-scripts` for another platform can leave broken: a native build that never ran and no
 * prebuilt linux-x64 binary in its place, a platform binary package whose linux-x64 variant is
 * missing (npm skips a failed optional dependency silently), or a package npm installed for another
 * platform (an npm that ignored `--os`/`--cpu`).
 */
export function inspectInstalled(nodeModules: string): InstalledReport {
  const report: InstalledReport = { packages: [], problems: [], warnings: [] };
  for (const dir of packageDirs(nodeModules)) {
    let pkg: PackageJson;
    try {
      const parsed = PackageJson.safeParse(JSON.parse(readFileSync(join(dir, "package.json"), "utf8")));
      if (!parsed.success) continue;
      pkg = parsed.data;
    } catch {
      continue; // not a package (a stray folder): nothing the worker could load either
    }
    const id = `${pkg.name}@${pkg.version ?? "?"}`;
    report.packages.push(id);
    const wrongPlatform = otherPlatform(pkg);
    if (wrongPlatform) {
      report.problems.push(`${id} was installed for ${wrongPlatform}, not linux x64 (is npm older than 10?)`);
      continue;
    }
    const build = nativeBuild(dir, pkg);
    const binaries = Object.keys(pkg.optionalDependencies ?? {}).filter((d) => LINUX_X64_BINARY.test(d));
    const binaryInstalled = binaries.some((d) => resolvePackage(dir, nodeModules, d));
    if (binaries.length > 0 && !binaryInstalled) {
      report.problems.push(
        `${id} needs its linux-x64 binary package (${binaries.join(" or ")}), which npm did not install`,
      );
    } else if (build && !binaryInstalled && !hasLinuxX64Addon(dir)) {
      report.problems.push(
        `${id} builds native code at install time (${build}); that would have to run on linux x64, and it ships no prebuilt linux-x64 binary`,
      );
    } else if (!build) {
      const scripts = INSTALL_SCRIPTS.filter((s) => typeof pkg.scripts?.[s] === "string");
      if (scripts.length > 0 && !binaryInstalled) {
        report.warnings.push(
          `${id}: install script not run (${scripts.map((s) => `${s}: ${String(pkg.scripts?.[s])}`).join("; ")})`,
        );
      }
    }
  }
  report.packages.sort();
  return report;
}

/** Why installing `pkg` would compile or fetch a native addon, or undefined when it would not. */
function nativeBuild(dir: string, pkg: PackageJson): string | undefined {
  for (const s of INSTALL_SCRIPTS) {
    const script = pkg.scripts?.[s];
    if (typeof script === "string" && NATIVE_BUILDERS.test(script)) return `${s} script "${script}"`;
  }
  // npm runs `node-gyp rebuild` itself for a binding.gyp with no install script.
  if (existsSync(join(dir, "binding.gyp")) || pkg.gypfile === true) return "binding.gyp";
  if (typeof pkg.binary === "object" && pkg.binary !== null) return "node-pre-gyp binary field";
  return undefined;
}

function otherPlatform(pkg: PackageJson): string | undefined {
  const excludes = (list: string[] | undefined, value: string) =>
    list !== undefined &&
    list.length > 0 &&
    (list.includes(`!${value}`) || (!list.includes(value) && list.some((v) => !v.startsWith("!"))));
  if (excludes(pkg.os, "linux")) return pkg.os!.join("/");
  if (excludes(pkg.cpu, "x64")) return pkg.cpu!.join("/");
  if (excludes(pkg.libc, "glibc")) return pkg.libc!.join("/");
  return undefined;
}

/** Node's resolution of `name` from the package at `dir`, kept inside `root` (the install being checked). */
function resolvePackage(dir: string, root: string, name: string): boolean {
  if (existsSync(join(dir, "node_modules", name, "package.json"))) return true;
  for (let d = dirname(dir); d.startsWith(root); d = dirname(d)) {
    if (basename(d) === "node_modules" && existsSync(join(d, name, "package.json"))) return true;
    if (d === root) break;
  }
  return false;
}

/** True when the package itself ships a compiled x86-64 Linux addon (prebuildify's `prebuilds/linux-x64/`). */
function hasLinuxX64Addon(dir: string, depth = 0): boolean {
  if (depth > 5) return false;
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory() && e.name !== "node_modules" && hasLinuxX64Addon(path, depth + 1)) return true;
    if (e.isFile() && e.name.endsWith(".node") && isElfX64(path)) return true;
  }
  return false;
}

function isElfX64(file: string): boolean {
  const head = Buffer.alloc(20);
  const fd = openSync(file, "r");
  try {
    readSync(fd, head, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  // ELF magic, then e_machine (offset 18, little-endian) 0x3E = x86-64.
  return head.readUInt32BE(0) === 0x7f454c46 && head.readUInt16LE(18) === 0x3e;
}

/** Every package folder under `nodeModules`, scoped and nested ones included (symlinks skipped). */
function* packageDirs(nodeModules: string): Generator<string> {
  let entries: Dirent[];
  try {
    entries = readdirSync(nodeModules, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (!e.isDirectory() || e.name.startsWith(".")) continue;
    const path = join(nodeModules, e.name);
    if (e.name.startsWith("@")) {
      for (const s of readdirSync(path, { withFileTypes: true })) {
        if (s.isDirectory()) yield* packageAndNested(join(path, s.name));
      }
    } else yield* packageAndNested(path);
  }
}

function* packageAndNested(dir: string): Generator<string> {
  yield dir;
  yield* packageDirs(join(dir, "node_modules"));
}
