import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { basename, dirname, join, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { type BuildFailure, build, type Message, type Plugin } from "esbuild";
import { FlashError } from "../shared/errors.ts";

/** The global the dev server installs; bundled QB files call it with their namespace (see {@link registerPlugin}). */
export const REGISTER_QB_MODULE = Symbol.for("runpod-flash.dev.registerModule");

/** A worker bundle: what a live job ships (SPEC section 5). */
export interface WorkerBundle {
  sha256: string;
  code: string;
  /** Absolute paths of the project files it was built from (not node_modules), to tell when it is stale. */
  inputs: string[];
}

/**
 * Bundles the project's LB files for import into the dev server, in one build with code splitting
 * so a module two files import is evaluated once (as Node would), and writes them to `outDir` as
 * `.mjs` (the project's package.json may say CommonJS). `runpod-flash` resolves to the CLI's own SDK
 * entry; other packages stay external and resolve from the project's node_modules, as `.flash/` is
 * inside the project. QB files in `qbFiles` (absolute paths) report their exports to the dev
 * server when evaluated, so a QB call made from an LB handler can be dispatched by name.
 * @returns the output file of each entry, keyed like `entries`
 * @throws FlashError BUILD_FAILED naming file:line:column
 */
export async function bundleForDevServer(options: {
  root: string;
  entries: Record<string, string>;
  outDir: string;
  sdkEntry: string;
  qbFiles: ReadonlyMap<string, string>;
}): Promise<{ outputs: Record<string, string>; inputs: string[] }> {
  if (Object.keys(options.entries).length === 0) return { outputs: {}, inputs: [] };
  let inputs: string[];
  try {
    const result = await build({
      absWorkingDir: options.root,
      entryPoints: options.entries,
      outdir: options.outDir,
      outExtension: { ".js": ".mjs" },
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "node",
      target: "node20",
      packages: "external",
      sourcemap: "inline",
      sourcesContent: false,
      logLevel: "silent",
      chunkNames: "chunks/[name]-[hash]",
      plugins: [sdkAliasPlugin(options.sdkEntry), registerPlugin(options.qbFiles)],
      metafile: true,
    });
    inputs = projectInputs(result.metafile.inputs, options.root);
  } catch (err) {
    throw buildError(err, options.root);
  }
  const outputs = Object.fromEntries(
    Object.keys(options.entries).map((name) => [name, join(options.outDir, `${name}.mjs`)]),
  );
  return { outputs, inputs };
}

/** The project files (absolute; not node_modules, not virtual) among a build's inputs. */
function projectInputs(inputs: Record<string, unknown>, root: string): string[] {
  return Object.keys(inputs)
    .filter((input) => !input.includes("node_modules/") && !input.includes(":"))
    .map((input) => resolve(root, input));
}

/**
 * Bundles one QB file as the self-contained ES module a live job ships: project code and npm
 * packages inlined, `runpod-flash` and the function's declared `dependencies` left as imports for
 * the worker to resolve.
 * @throws FlashError BUILD_FAILED naming file:line:column
 */
export async function bundleForWorker(options: {
  root: string;
  file: string;
  external: readonly string[];
}): Promise<WorkerBundle> {
  try {
    const result = await build({
      absWorkingDir: options.root,
      entryPoints: [options.file],
      bundle: true,
      write: false,
      format: "esm",
      platform: "node",
      target: "node20",
      external: ["runpod-flash", ...options.external.map(packageNameOf)],
      sourcemap: "inline",
      sourcesContent: false,
      logLevel: "silent",
      // Nothing is written; the project root as output folder makes the source map name files by
      // their project-relative path (`gpu_worker.ts`), which is what a remote stack should show.
      outdir: options.root,
      metafile: true,
    });
    const code = result.outputFiles.find((f) => f.path.endsWith(".js"))?.text ?? "";
    const inputs = projectInputs(result.metafile.inputs, options.root);
    return { code, sha256: createHash("sha256").update(code).digest("hex"), inputs };
  } catch (err) {
    throw buildError(err, options.root);
  }
}

/** `lodash@4` → `lodash`, `@scope/pkg@^1` → `@scope/pkg`. */
function packageNameOf(spec: string): string {
  const at = spec.indexOf("@", spec.startsWith("@") ? 1 : 0);
  return at > 0 ? spec.slice(0, at) : spec;
}

function sdkAliasPlugin(sdkEntry: string): Plugin {
  const href = pathToFileURL(sdkEntry).href;
  return {
    name: "flash-sdk-alias",
    setup(b) {
      b.onResolve({ filter: /^runpod-flash$/ }, () => ({ path: href, external: true }));
    },
  };
}

/**
 * Prepares project files for the dev server's bundles:
 * - `import.meta.url`, `.filename` and `.dirname` name the source file, not the bundle in
 *   `.flash/dev/`, so code reading files next to itself works as it would unbundled;
 * - each QB file gets a self-import and a call reporting its namespace, so the dev server can map a
 *   QB stub's metadata back to its file and export name (the stub itself knows neither).
 */
function registerPlugin(qbFiles: ReadonlyMap<string, string>): Plugin {
  return {
    name: "flash-dev-source",
    setup(b) {
      b.onLoad({ filter: /\.(m?ts|m?js)$/ }, async (args) => {
        if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
        const relative = qbFiles.get(args.path);
        let source = await readFile(args.path, "utf8");
        if (relative === undefined && !source.includes("import.meta")) return undefined;
        const loader = /\.m?ts$/.test(args.path) ? "ts" : "js";
        source = source
          .replace(/\bimport\.meta\.url\b/g, JSON.stringify(pathToFileURL(args.path).href))
          .replace(/\bimport\.meta\.filename\b/g, JSON.stringify(args.path))
          .replace(/\bimport\.meta\.dirname\b/g, JSON.stringify(dirname(args.path)));
        if (relative !== undefined) {
          const self = JSON.stringify(`./${basename(args.path)}`);
          source += `\n;import * as __flashSelf from ${self};\nglobalThis[Symbol.for("runpod-flash.dev.registerModule")]?.(${JSON.stringify(relative)}, __flashSelf);\n`;
        }
        return { loader, contents: source };
      });
    },
  };
}

function buildError(err: unknown, root: string): FlashError {
  const failure = err as Partial<BuildFailure>;
  const first: Message | undefined = failure.errors?.[0];
  if (!first) return new FlashError("BUILD_FAILED", `bundling failed: ${String(err)}`, { cause: err });
  const where = first.location
    ? `${relativeTo(root, first.location.file)}:${first.location.line}:${first.location.column + 1}: `
    : "";
  return new FlashError("BUILD_FAILED", `${where}${first.text}`, { cause: err });
}

function relativeTo(root: string, file: string): string {
  const prefix = root.endsWith("/") ? root : `${root}/`;
  return file.startsWith(prefix) ? file.slice(prefix.length) : file;
}
