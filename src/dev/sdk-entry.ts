import { join } from "node:path";
import { flashPackageDir } from "../shared/package-root.ts";

/**
 * Absolute path of the SDK entry (`dist/index.js`) of the package this code runs from.
 *
 * User modules loaded by the dev server import `runpod-flash` from exactly this file, so they share
 * the CLI's module instances (the dispatcher and `Symbol.for` metadata) and a folder with no
 * `node_modules` works.
 */
export function cliSdkEntry(): string {
  return join(flashPackageDir(), "dist", "index.js");
}
