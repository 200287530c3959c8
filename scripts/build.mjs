// Builds dist/ from src/ with esbuild: one ESM graph with shared chunks, so the CLI and the
// SDK that user code imports are the very same module instances.
import { createHash } from "node:crypto";
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
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
const buildId = buildHash.digest("hex").slice(0, 32);
const define = {
  __FLASH_VERSION__: JSON.stringify(pkg.version),
  __FLASH_BUILD_ID__: JSON.stringify(buildId),
};
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
  define,
});

// The worker pack: the runtime and the SDK as `flash build` puts them in every artifact
// (node_modules/runpod-flash), each one file with its packages inlined, so a worker on a plain
// public image runs exactly this version with nothing installed. `tar` stays out: the template's
// start command unpacks the artifact before the runtime starts.
const pack = `${root}dist/worker-pack/`;
await build({
  absWorkingDir: root,
  entryPoints: { "dist/index": "src/sdk/index.ts", "dist/runtime/worker": "src/runtime/worker-main.ts" },
  outdir: pack,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external: ["tar"],
  sourcemap: false,
  logLevel: "warning",
  define,
  // Inlined CommonJS packages call require() for Node built-ins.
  banner: {
    js: 'import { createRequire as __flashCreateRequire } from "node:module"; const require = __flashCreateRequire(import.meta.url);',
  },
});
await writeFile(
  `${pack}package.json`,
  `${JSON.stringify(
    {
      name: pkg.name,
      version: pkg.version,
      description: "The Flash worker runtime and SDK, as packed into a build artifact.",
      type: "module",
      license: pkg.license,
      main: "./dist/index.js",
      exports: { ".": "./dist/index.js", "./package.json": "./package.json" },
      flashBuildId: buildId,
    },
    null,
    2,
  )}\n`,
);

// Swagger UI's files for /docs, from the swagger-ui-dist devDependency: the published package
// carries them, so it needs no runtime dependency (and none with an install script).
const swaggerUi = `${root}node_modules/swagger-ui-dist/`;
await mkdir(`${root}dist/docs-assets`, { recursive: true });
for (const file of ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE", "NOTICE"]) {
  await copyFile(`${swaggerUi}${file}`, `${root}dist/docs-assets/${file}`);
}
