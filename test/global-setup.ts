import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * End-to-end tests spawn the built CLI, so build it (and the SDK's type declarations, which the
 * typecheck of scaffolded projects and examples resolves) once before any test runs. The commands
 * they run keep their scan cache in a folder of this run's own (removed afterwards), not the user's.
 */
export default function setup(): () => void {
  const root = fileURLToPath(new URL("..", import.meta.url));
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, ["scripts/types.mjs"], { cwd: root, stdio: "inherit" });
  const cacheDir = mkdtempSync(join(tmpdir(), "flash-test-cache-"));
  process.env.FLASH_SCAN_CACHE_DIR = cacheDir;
  return () => rmSync(cacheDir, { recursive: true, force: true });
}
