import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { z } from "zod";
import { FlashError } from "../shared/errors.ts";
import { inspectInstalled } from "./installed-packages.ts";
import { packageNameOf } from "./native-packages.ts";
import { DEFAULT_NPM, npmVersion, runNpm } from "./npm.ts";

/** A ready dependency install for the workers' platform. */
export interface InstalledDependencies {
  /** Absolute path of the `node_modules` folder to ship; undefined when there were no specs. */
  nodeModules: string | undefined;
  /** `name@version` of every installed package (transitive ones too), sorted. */
  packages: string[];
  /** Things the user should know that do not stop the build (install scripts not run). */
  warnings: string[];
}

/** The platform RunPod workers run on; npm is told to install for it whatever the host is. */
const TARGET = { os: "linux", cpu: "x64", libc: "glibc" } as const;

/** What a finished cache folder records next to its node_modules; its presence marks it ready. */
const DepsRecord = z.object({
  specs: z.array(z.string()),
  packages: z.array(z.string()),
  warnings: z.array(z.string()),
});
const RECORD_FILE = "flash-deps.json";

const pending = new Map<string, Promise<InstalledDependencies>>();

/**
 * Installs npm `specs` (`lodash@4.17.21`, `@scope/pkg@^1`, `name@file:/abs/dir`) for linux x64 glibc,
 * whatever the host, so the artifact carries them and a worker needs neither npm nor the network.
 * Packages that ship their binary as platform-specific optional dependencies (esbuild, sharp,
 * `@node-rs/*`) get the linux-x64 one. Install scripts never run (they would run on the host, for
 * the host); a package that needs one to build native code fails the build, others get a warning.
 *
 * The result is cached under `<cacheDir>/deps/<key>/node_modules` (key: the sorted specs, the target
 * npm's major version and the project's `.npmrc` when `npmrc` names one), so the same dependencies again start no npm and work offline.
 * @throws FlashError BUILD_FAILED naming the package and why it cannot be installed for linux x64
 */
export function installDependencies(
  specs: readonly string[],
  options: { cacheDir: string; log?: (line: string) => void; npm?: string; npmrc?: string },
): Promise<InstalledDependencies> {
  const sorted = [...new Set(specs)].sort();
  if (sorted.length === 0) return Promise.resolve({ nodeModules: undefined, packages: [], warnings: [] });
  const npm = options.npm ?? DEFAULT_NPM;
  const log = options.log ?? (() => {});
  const npmrc = options.npmrc && existsSync(options.npmrc) ? readFileSync(options.npmrc, "utf8") : undefined;
  const id = JSON.stringify([resolve(options.cacheDir), npm, sorted, npmrc]);
  let p = pending.get(id);
  if (!p) {
    p = install(sorted, resolve(options.cacheDir), npm, npmrc, log).finally(() => pending.delete(id));
    pending.set(id, p);
  }
  return p;
}

async function install(
  specs: string[],
  cacheDir: string,
  npm: string,
  npmrc: string | undefined,
  log: (line: string) => void,
): Promise<InstalledDependencies> {
  const dependencies = Object.fromEntries(specs.map(splitSpec));
  let version: string;
  try {
    version = await npmVersion(npm);
  } catch (err) {
    throw new FlashError("BUILD_FAILED", `cannot run npm to install ${specs.join(" ")}: ${String(err)}`, {
      hint: "Flash installs the workers' npm dependencies at build time; install npm (it comes with Node).",
      cause: err,
    });
  }
  const key = createHash("sha256")
    .update(JSON.stringify({ specs, target: TARGET, npm: version.split(".")[0], npmrc }))
    .digest("hex")
    .slice(0, 24);
  const dir = join(cacheDir, "deps", key);
  const cached = readRecord(dir);
  if (cached) {
    log(`npm dependencies for linux x64: cached (${cached.packages.length} packages)`);
    return { nodeModules: join(dir, "node_modules"), packages: cached.packages, warnings: cached.warnings };
  }

  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  await mkdir(tmp, { recursive: true });
  try {
    log(`installing npm dependencies for linux x64: ${specs.join(" ")}`);
    // Specs go into package.json rather than onto the command line: no shell quoting of `^1` or `>=2`.
    await writeFile(
      join(tmp, "package.json"),
      JSON.stringify({ name: "flash-worker-dependencies", private: true, dependencies }, null, 2),
    );
    // The project's registry and scopes (and their auth) apply, as to the developer's own npm install.
    if (npmrc !== undefined) await writeFile(join(tmp, ".npmrc"), npmrc, { mode: 0o600 });
    const result = await runNpm(
      npm,
      [
        "install",
        `--os=${TARGET.os}`,
        `--cpu=${TARGET.cpu}`,
        `--libc=${TARGET.libc}`,
        "--omit=dev",
        // Scripts would run on this host, for this host: the worker gets no use of what they build.
        "--ignore-scripts",
        // A file: dependency is copied in, not symlinked to the developer's folder.
        "--install-links",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "--no-package-lock",
        "--loglevel=error",
      ],
      tmp,
    );
    if (!result.ok) {
      const named = specs.filter((s) => result.output.includes(packageNameOf(s)));
      throw new FlashError(
        "BUILD_FAILED",
        `cannot install ${(named.length > 0 ? named : specs).join(", ")} for linux x64 (the workers' platform); npm says:\n${result.output}`,
        {
          hint: "Check the package name and version; a package limited to other platforms (its `os`/`cpu`) cannot run on a worker.",
        },
      );
    }
    const report = inspectInstalled(join(tmp, "node_modules"));
    if (report.problems.length > 0) {
      throw new FlashError(
        "BUILD_FAILED",
        `cannot install for linux x64 (the workers' platform):\n${report.problems.map((p) => `  ${p}`).join("\n")}`,
        {
          hint: "Flash does not run install scripts at build time. Use a package that ships prebuilt binaries as optional dependencies (as esbuild, sharp and @node-rs/* do), or install this one on the worker with systemDependencies or a custom image (imageName).",
        },
      );
    }
    for (const w of report.warnings) log(`warning: ${w}`);
    const record = { specs, packages: report.packages, warnings: report.warnings };
    await writeFile(join(tmp, RECORD_FILE), JSON.stringify(record, null, 2));
    await placeAtomically(tmp, dir);
    return { nodeModules: join(dir, "node_modules"), packages: report.packages, warnings: report.warnings };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** `@scope/pkg@^1` → [`@scope/pkg`, `^1`]; a bare name means what `npm install name` means: latest. */
function splitSpec(spec: string): [string, string] {
  const name = packageNameOf(spec);
  if (
    !/^(@[a-z0-9][\w.~-]*\/)?[a-z0-9][\w.~-]*$/i.test(name) ||
    (spec !== name && !spec.startsWith(`${name}@`))
  ) {
    throw new FlashError("BUILD_FAILED", `dependency "${spec}" does not name an npm package`, {
      hint: 'Write dependencies as name@version, for example "lodash@4.17.21" or "my-lib@file:/abs/path".',
    });
  }
  return [name, spec === name ? "latest" : spec.slice(name.length + 1)];
}

function readRecord(dir: string): z.infer<typeof DepsRecord> | undefined {
  const file = join(dir, RECORD_FILE);
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined; // unreadable: built again
  }
  const parsed = DepsRecord.safeParse(raw);
  return parsed.success && existsSync(join(dir, "node_modules")) ? parsed.data : undefined;
}

/** Renames the finished `tmp` to `dir`; when another build got there first, its copy is as good. */
async function placeAtomically(tmp: string, dir: string): Promise<void> {
  try {
    await rename(tmp, dir);
  } catch (err) {
    if (readRecord(dir)) return;
    // A folder left without its record (by an older Flash or by hand) is not a finished install.
    await rm(dir, { recursive: true, force: true });
    try {
      await rename(tmp, dir);
    } catch {
      if (!readRecord(dir)) throw err;
    }
  }
}
