/**
 * Internal entry (`dist/internal.js`) for the benchmarks and tests that run against the build:
 * not part of the public API, may change without notice.
 */

export { buildProject } from "./build/build-project.ts";
export { createManifest } from "./build/manifest.ts";
export { routesOf, scanProject } from "./scan/index.ts";
