import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { FlashError } from "./errors.ts";

let cached: string | undefined;

/**
 * The folder of the runpod-flash package this code runs from: found by walking up to our own
 * package.json, so it holds for `dist/` (chunks live in `dist/chunks/`) and for sources run by the
 * test runner. The CLI finds what it ships from here: the SDK entry, Swagger UI's files, the
 * worker runtime and the worker pack that goes into artifacts.
 */
export function flashPackageDir(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && readPackageName(pkg) === "runpod-flash") {
      cached = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new FlashError("INTERNAL", "cannot find the package root of the running CLI.");
    dir = parent;
  }
}

/** A file the build puts under `dist/` of the package, which must exist. */
export function builtFile(...parts: string[]): string {
  const file = join(flashPackageDir(), "dist", ...parts);
  if (!existsSync(file)) {
    throw new FlashError("INTERNAL", `runpod-flash is not built (${file} is missing).`, {
      hint: "Run `npm run build` in the runpod-flash folder.",
    });
  }
  return file;
}

function readPackageName(file: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(file, "utf8")) as { name?: string }).name;
  } catch {
    return undefined;
  }
}
