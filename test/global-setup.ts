import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** End-to-end tests spawn the built CLI, so build it once before any test runs. */
export default function setup(): void {
  const root = fileURLToPath(new URL("..", import.meta.url));
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: root, stdio: "inherit" });
}
