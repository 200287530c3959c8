import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { FlashError } from "../shared/errors.ts";

let cached: string | undefined;

/**
 * Absolute path of the SDK entry (`dist/index.js`) of the package this code runs from.
 *
 * User modules loaded by the dev server import `runpod-flash` from exactly this file, so they share
 * the CLI's module instances (the dispatcher and `Symbol.for` metadata) and a folder with no
 * `node_modules` works. Found by walking up to our own package.json, so it holds both for `dist/`
 * (chunks live in `dist/chunks/`) and for sources run by the test runner.
 */
export function cliSdkEntry(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && readPackageName(pkg) === "runpod-flash") {
      cached = join(dir, "dist", "index.js");
      return cached;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new FlashError("INTERNAL", "cannot find the package root of the running CLI.");
    dir = parent;
  }
}

function readPackageName(file: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(file, "utf8")) as { name?: string }).name;
  } catch {
    return undefined;
  }
}
