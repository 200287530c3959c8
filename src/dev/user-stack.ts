import { SourceMap, type SourceMapPayload } from "node:module";
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { WorkerBundle } from "./bundle.ts";
import { cliSdkEntry } from "./sdk-entry.ts";

/** The dist folder of the running runpod-flash package: the CLI, the SDK and the worker runtime. */
const flashDist = (): string => dirname(cliSdkEntry());

/** A stack frame's location: `(path:line:col)` or bare `path:line:col` at the end of an `at` line. */
const FRAME = /^(\s*at .*?\(?)((?:file:\/\/)?[^\s()]+?):(\d+):(\d+)(\)?)$/;

const maps = new WeakMap<WorkerBundle, SourceMap | null>();

/** The inline source map esbuild appended to a worker bundle, parsed once per bundle. */
function sourceMapOf(bundle: WorkerBundle): SourceMap | undefined {
  let map = maps.get(bundle);
  if (map === undefined) {
    const marker = "//# sourceMappingURL=data:application/json;base64,";
    const at = bundle.code.lastIndexOf(marker);
    map = null;
    if (at !== -1) {
      try {
        const json = Buffer.from(bundle.code.slice(at + marker.length).trim(), "base64").toString("utf8");
        map = new SourceMap(JSON.parse(json) as SourceMapPayload);
      } catch {
        // A bundle without a readable map keeps its stack as the worker wrote it.
      }
    }
    maps.set(bundle, map);
  }
  return map ?? undefined;
}

/**
 * A worker's stack for a job that ran `bundle`, as the user should read it: frames in the bundle
 * (a hash-named `.mjs` in the worker's cache, wherever that worker runs) mapped to the project's
 * `.ts` files through the bundle's source map, and the frames of Flash's own runtime dropped.
 */
export function mapWorkerStack(stack: string, bundle: WorkerBundle, root: string): string {
  const map = sourceMapOf(bundle);
  const lines = stack.split("\n").map((line) => {
    const m = FRAME.exec(line);
    if (!m || !map || !m[2]!.endsWith(`${bundle.sha256}.mjs`)) return line;
    const entry = map.findEntry(Number(m[3]) - 1, Number(m[4]) - 1) as {
      originalSource?: string;
      originalLine?: number;
      originalColumn?: number;
    };
    if (entry.originalSource === undefined || entry.originalLine === undefined) return line;
    // esbuild names sources relative to the output folder, which for worker bundles is the root.
    const source = entry.originalSource.startsWith("file://")
      ? fileURLToPath(entry.originalSource)
      : entry.originalSource;
    const file = isAbsolute(source) ? source : resolve(root, source);
    return `${m[1]}${file}:${entry.originalLine + 1}:${(entry.originalColumn ?? 0) + 1}${m[5]}`;
  });
  return withoutFlashFrames(lines.join("\n"));
}

/**
 * `stack` without the frames of Flash's own code (the dev server, the SDK stub, the worker runtime,
 * the queue client) and Node's internals: what is left is the user's code and their packages.
 * Frames are recognised by path: this package's dist folder, or any `runpod-flash` package folder
 * (a worker on RunPod runs its own copy).
 */
export function withoutFlashFrames(stack: string): string {
  return stack
    .split("\n")
    .filter((line) => {
      const m = FRAME.exec(line);
      if (!m) return true;
      const raw = m[2]!;
      if (raw.startsWith("node:")) return false;
      const path = raw.startsWith("file://") ? fileURLToPath(raw) : raw;
      return !(path.startsWith(`${flashDist()}/`) || /[/\\]runpod-flash[/\\](dist|src)[/\\]/.test(path));
    })
    .join("\n");
}
