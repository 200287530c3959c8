import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, rename, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import type { Envelope } from "./wire.ts";

const run = promisify(execFile);

/**
 * Where live bundles and their npm dependencies live on a worker:
 *
 *     <cacheDir>/live/<deps key>/node_modules/        npm install of the dependency list (+ runpod-flash)
 *     <cacheDir>/live/<deps key>/<bundle sha256>.mjs  each bundle shipped with that dependency list
 *
 * A bundle sits beside the node_modules of its dependency list, so Node's resolution finds them with
 * no loader tricks. Directories are built under a temporary name and renamed into place, so several
 * workers sharing one cache (the emulator's) never see a half-written install.
 */
export class CodeCache {
  private readonly ready = new Map<string, Promise<string>>();

  constructor(
    private readonly cacheDir: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Path of the module for a live envelope, written (and its dependencies installed) on first use. */
  modulePath(envelope: Envelope): Promise<string> {
    const deps = [...new Set(envelope.dependencies)].sort();
    const key = `${depsKey(deps)}/${envelope.bundle.sha256}`;
    let p = this.ready.get(key);
    if (!p) {
      p = this.write(envelope, deps);
      // A failure is not cached: the next job retries (a network hiccup during npm install).
      p.catch(() => this.ready.delete(key));
      this.ready.set(key, p);
    }
    return p;
  }

  private async write(envelope: Envelope, deps: string[]): Promise<string> {
    const actual = createHash("sha256").update(envelope.bundle.code).digest("hex");
    if (actual !== envelope.bundle.sha256) {
      throw new Error(
        `bundle of ${envelope.file} does not match its sha256 (got ${actual}); refusing to run it`,
      );
    }
    if (envelope.systemDependencies.length > 0)
      await installSystemPackages(envelope.systemDependencies, this.log);
    const dir = await this.depsDir(deps);
    const file = join(dir, `${envelope.bundle.sha256}.mjs`);
    if (!existsSync(file)) await atomicWrite(file, envelope.bundle.code);
    return file;
  }

  private depsDirs = new Map<string, Promise<string>>();

  private depsDir(deps: string[]): Promise<string> {
    const key = depsKey(deps);
    let p = this.depsDirs.get(key);
    if (!p) {
      p = prepareDir(join(this.cacheDir, "live", key), deps, this.log);
      p.catch(() => this.depsDirs.delete(key));
      this.depsDirs.set(key, p);
    }
    return p;
  }
}

/**
 * The cache folder's name for a dependency set. It includes the `runpod-flash` package the folder
 * links to: the cache is per user and shared by every project, so a folder made by another install
 * (another project's version, or one since deleted) must not be reused by this one.
 */
function depsKey(deps: string[]): string {
  const flash = createHash("sha256")
    .update(flashPackageRoot() ?? "")
    .digest("hex")
    .slice(0, 8);
  return deps.length === 0
    ? `no-deps-${flash}`
    : createHash("sha256")
        .update(JSON.stringify([flashPackageRoot() ?? "", deps]))
        .digest("hex")
        .slice(0, 20);
}

/** Makes `dir` exist with `deps` installed and `runpod-flash` resolvable; built aside, renamed into place. */
export async function prepareDir(dir: string, deps: string[], log: (line: string) => void): Promise<string> {
  if (existsSync(join(dir, ".flash-ready"))) return dir;
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  await mkdir(tmp, { recursive: true });
  try {
    if (deps.length > 0) await npmInstall(tmp, deps, log);
    await linkFlashPackage(tmp);
    await writeFile(join(tmp, ".flash-ready"), "");
    await mkdir(dirname(dir), { recursive: true });
    try {
      await rename(tmp, dir);
    } catch (err) {
      // Another worker finished first: use its copy.
      if (!existsSync(join(dir, ".flash-ready"))) throw err;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return dir;
}

/** Runs `npm install` of `deps` into `dir` (which gets a private package.json). */
export async function npmInstall(dir: string, deps: string[], log: (line: string) => void): Promise<void> {
  log(`installing npm dependencies: ${deps.join(" ")}`);
  if (!existsSync(join(dir, "package.json"))) {
    await writeFile(join(dir, "package.json"), JSON.stringify({ name: "flash-worker-deps", private: true }));
  }
  try {
    await run(
      process.platform === "win32" ? "npm.cmd" : "npm",
      ["install", "--no-audit", "--no-fund", "--no-package-lock", "--omit=dev", "--loglevel=error", ...deps],
      { cwd: dir, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`npm install ${deps.join(" ")} failed: ${(e.stderr || e.message).trim().slice(-2000)}`);
  }
}

const systemDone = new Map<string, Promise<void>>();

/**
 * Installs apt packages once per worker. Skipped (with a log line) when `FLASH_SKIP_SYSTEM_DEPS=1`,
 * which the emulator sets: it must not apt-get on the developer's machine.
 */
export function installSystemPackages(pkgs: string[], log: (line: string) => void): Promise<void> {
  const key = [...pkgs].sort().join(" ");
  let p = systemDone.get(key);
  if (!p) {
    p = (async () => {
      if (process.env.FLASH_SKIP_SYSTEM_DEPS === "1") {
        log(`not installing system packages (${key}): FLASH_SKIP_SYSTEM_DEPS=1`);
        return;
      }
      log(`installing system packages: ${key}`);
      const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
      try {
        await run("apt-get", ["update"], { env, timeout: 300_000 });
        await run("apt-get", ["install", "-y", "--no-install-recommends", ...pkgs], {
          env,
          timeout: 300_000,
        });
      } catch (err) {
        const e = err as { stderr?: string; message: string };
        throw new Error(`apt-get install ${key} failed: ${(e.stderr || e.message).trim().slice(-2000)}`);
      }
    })();
    p.catch(() => systemDone.delete(key));
    systemDone.set(key, p);
  }
  return p;
}

/**
 * Bundles may leave `runpod-flash` external; make it resolve to the package this runtime belongs to
 * (the worker image installs it; the emulator runs it from the CLI's own copy).
 */
export async function linkFlashPackage(dir: string): Promise<void> {
  const root = flashPackageRoot();
  const link = join(dir, "node_modules", "runpod-flash");
  if (!root || existsSync(link)) return;
  await mkdir(join(dir, "node_modules"), { recursive: true });
  try {
    await symlink(root, link, "junction");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
}

let packageRoot: string | null | undefined;

/** The folder of the `runpod-flash` package that contains the running worker entry, if any. */
export function flashPackageRoot(): string | undefined {
  if (packageRoot !== undefined) return packageRoot ?? undefined;
  let dir = dirname(process.argv[1] ?? ".");
  packageRoot = null;
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: unknown }).name === "runpod-flash") {
          packageRoot = dir;
          break;
        }
      } catch {
        // unreadable package.json: keep looking up
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return packageRoot ?? undefined;
}

async function atomicWrite(file: string, content: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  await writeFile(tmp, content);
  await rename(tmp, file);
}
