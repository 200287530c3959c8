// Builds dist/ from src/ with esbuild: one ESM graph with shared chunks, so the CLI and the
// SDK that user code imports are the very same module instances.
import { readFile, rm } from "node:fs/promises";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;
const pkg = JSON.parse(await readFile(`${root}package.json`, "utf8"));
// Files are overwritten in place (no wipe) so tests running in parallel never see dist/ missing;
// `--clean` wipes first, for publishing.
if (process.argv.includes("--clean")) await rm(`${root}dist`, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: {
    index: "src/sdk/index.ts",
    cli: "src/cli/main.ts",
    "runtime/worker": "src/runtime/worker-main.ts",
    internal: "src/internal.ts",
  },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  sourcemap: true,
  chunkNames: "chunks/[name]-[hash]",
  logLevel: "warning",
  define: { __FLASH_VERSION__: JSON.stringify(pkg.version) },
});
