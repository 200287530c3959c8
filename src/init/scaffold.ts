import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { FlashError } from "../shared/errors.ts";

/** The files of a new project, path → contents. Pure, so tests can read them. */
export function scaffoldFiles(projectName: string, sdkVersion: string): Record<string, string> {
  const name = projectName.replace(/[^a-z0-9._-]/gi, "-").toLowerCase() || "flash-app";
  return {
    "gpu_worker.ts": `import { GpuGroup, LiveServerless, remote } from "runpod-flash";

// One file is one endpoint: every remote() function here runs on this config's workers.
const gpu = new LiveServerless({ gpus: [GpuGroup.ANY], workersMax: 2 });

/** Queue-based: POST /gpu_worker/run_sync with {"input": {"prompt": "..."}} */
export const generate = remote(gpu, async (input: { prompt: string }) => {
  const words = input.prompt.trim().split(/\\s+/).filter(Boolean);
  return { prompt: input.prompt, words: words.length, shout: input.prompt.toUpperCase() };
});
`,
    "api/routes.ts": `import { CpuLiveLoadBalancer, remote } from "runpod-flash";
import { generate } from "../gpu_worker.js";

const api = new CpuLiveLoadBalancer({ workersMax: 1 });

/** Load-balanced: POST /api/routes/generate with {"prompt": "..."}; the body runs here, generate() on the GPU worker. */
export const generateRoute = remote(api, { method: "POST", path: "/generate" }, async (body: { prompt: string }) => {
  const result = await generate({ prompt: body.prompt });
  return { ...result, via: "api/routes" };
});

/** GET /api/routes/health */
export const health = remote(api, { method: "GET", path: "/health" }, async () => ({ ok: true }));
`,
    "package.json": `${JSON.stringify(
      {
        name,
        private: true,
        type: "module",
        scripts: {
          dev: "flash run",
          routes: "flash routes",
          build: "flash build",
          deploy: "flash deploy",
          typecheck: "tsc --noEmit",
        },
        dependencies: { "runpod-flash": sdkVersion === "dev" ? "*" : `^${sdkVersion}` },
        // Without it `npx tsc` would fetch `tsc`, an unrelated npm package.
        devDependencies: { typescript: "^5.9.0" },
      },
      null,
      2,
    )}\n`,
    "tsconfig.json": `${JSON.stringify(
      {
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: true,
        },
      },
      null,
      2,
    )}\n`,
    ".gitignore": "node_modules/\n.flash/\n.env\n",
    "README.md": `# ${name}

A [Flash](https://www.npmjs.com/package/runpod-flash) project: each \`.ts\` file with \`remote()\` functions is one RunPod Serverless endpoint.

\`\`\`sh
npx flash run      # local dev server on http://localhost:8888 (Swagger UI at /docs)
npx flash routes   # what the dev server will serve
npx flash deploy   # one RunPod endpoint per file (needs RUNPOD_API_KEY)
\`\`\`

Try it:

\`\`\`sh
curl -s localhost:8888/gpu_worker/run_sync -H 'content-type: application/json' -d '{"input": {"prompt": "hello flash"}}'
curl -s localhost:8888/api/routes/generate -H 'content-type: application/json' -d '{"prompt": "hello flash"}'
\`\`\`
`,
  };
}

/** What {@link scaffoldProject} did, paths relative to the project folder. */
export interface ScaffoldResult {
  /** Files written anew. */
  created: string[];
  /** Existing files Flash added to (package.json fields, a .gitignore line). */
  updated: string[];
  /** Existing files left exactly as they were. */
  kept: string[];
}

/** The example pair: the LB route imports the QB worker, so they are written together or not at all. */
const EXAMPLE_FILES = ["gpu_worker.ts", "api/routes.ts"];

/**
 * Writes a new project into `dir`, or adds what Flash needs to an existing one: files that do not
 * exist are written; an existing package.json gets the `runpod-flash` dependency and the scripts it
 * lacks (nothing of the user's is changed); an existing .gitignore gets the lines it lacks; every
 * other existing file is kept. The example worker and route are written only when neither exists.
 * @throws FlashError USAGE when an existing package.json is not a JSON object
 */
export async function scaffoldProject(
  dir: string,
  projectName: string,
  sdkVersion: string,
): Promise<ScaffoldResult> {
  const files = scaffoldFiles(projectName, sdkVersion);
  const result: ScaffoldResult = { created: [], updated: [], kept: [] };
  const exampleClash = EXAMPLE_FILES.some((rel) => existsSync(join(dir, rel)));
  const writes: [string, string][] = [];
  for (const [rel, text] of Object.entries(files)) {
    const path = join(dir, rel);
    if (!existsSync(path)) {
      if (exampleClash && EXAMPLE_FILES.includes(rel)) continue;
      writes.push([rel, text]);
      result.created.push(rel);
      continue;
    }
    const merged =
      rel === "package.json"
        ? mergePackageJson(path, await readFile(path, "utf8"), JSON.parse(text) as PackageJson)
        : rel === ".gitignore"
          ? mergeLines(await readFile(path, "utf8"), text)
          : undefined;
    if (merged === undefined) result.kept.push(rel);
    else {
      writes.push([rel, merged]);
      result.updated.push(rel);
    }
  }
  // Everything is computed before anything is written, so a bad package.json changes nothing.
  for (const [rel, text] of writes) {
    const path = join(dir, rel);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  }
  return result;
}

type PackageJson = Record<string, unknown> & {
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};

/**
 * The user's package.json with what Flash's lacks added: the dependency (unless already a
 * dependency of any kind) and each script whose name is free. Undefined when nothing is missing.
 * Keeps the file's indentation and key order.
 */
function mergePackageJson(path: string, text: string, ours: PackageJson): string | undefined {
  let theirs: unknown;
  try {
    theirs = JSON.parse(text);
  } catch (err) {
    throw new FlashError("USAGE", `${path} is not valid JSON: ${(err as Error).message}`, {
      hint: "Fix the file, then run flash init again; nothing was written.",
    });
  }
  if (typeof theirs !== "object" || theirs === null || Array.isArray(theirs)) {
    throw new FlashError("USAGE", `${path} is not a JSON object; nothing was written.`);
  }
  const pkg = theirs as Record<string, unknown>;
  let changed = false;
  const section = (key: string): Record<string, unknown> => {
    const value = pkg[key];
    if (typeof value === "object" && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
    const fresh: Record<string, unknown> = {};
    pkg[key] = fresh;
    return fresh;
  };
  const declared = (name: string) =>
    ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"].some(
      (key) => typeof pkg[key] === "object" && pkg[key] !== null && name in (pkg[key] as object),
    );
  for (const key of ["dependencies", "devDependencies"] as const) {
    for (const [name, range] of Object.entries(ours[key] ?? {})) {
      if (declared(name)) continue;
      section(key)[name] = range;
      changed = true;
    }
  }
  for (const [name, command] of Object.entries(ours.scripts ?? {})) {
    const scripts = section("scripts");
    if (name in scripts) continue;
    scripts[name] = command;
    changed = true;
  }
  if (!changed) return undefined;
  const indent = /^[ \t]+/m.exec(text)?.[0] ?? "  ";
  return `${JSON.stringify(pkg, null, indent)}\n`;
}

/** `text` with each line of `wanted` it lacks appended; undefined when it has them all. */
function mergeLines(text: string, wanted: string): string | undefined {
  // `node_modules`, `/node_modules` and `node_modules/` ignore the same folder here.
  const bare = (line: string) => line.trim().replace(/^\//, "").replace(/\/$/, "");
  const have = new Set(text.split(/\r?\n/).map(bare));
  const missing = wanted.split("\n").filter((line) => line !== "" && !have.has(bare(line)));
  if (missing.length === 0) return undefined;
  const separator = text === "" || text.endsWith("\n") ? "" : "\n";
  return `${text}${separator}${missing.join("\n")}\n`;
}
