// Builds dist/ from src/ with esbuild: one ESM graph with shared chunks, so the CLI and the
// SDK that user code imports are the very same module instances.
import { createHash } from "node:crypto";
import { copyFile, mkdir, readdir, readFile, rm } from "node:fs/promises";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;
const pkg = JSON.parse(await readFile(`${root}package.json`, "utf8"));
// Identity of this build's code (the scan cache keys on it): a hash of every source file.
const sources = (await readdir(`${root}src`, { recursive: true })).filter((f) => f.endsWith(".ts")).sort();
const buildHash = createHash("sha256").update(pkg.version);
for (const f of sources) buildHash.update(`\0${f}\0`).update(await readFile(`${root}src/${f}`));
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
  define: {
    __FLASH_VERSION__: JSON.stringify(pkg.version),
    __FLASH_BUILD_ID__: JSON.stringify(buildHash.digest("hex").slice(0, 32)),
  },
});

// Swagger UI's files for /docs, from the swagger-ui-dist devDependency: the published package
// carries them, so it needs no runtime dependency (and none with an install script).
const swaggerUi = `${root}node_modules/swagger-ui-dist/`;
await mkdir(`${root}dist/docs-assets`, { recursive: true });
for (const file of ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE", "NOTICE"]) {
  await copyFile(`${swaggerUi}${file}`, `${root}dist/docs-assets/${file}`);
}
