import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
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
import { generate } from "../gpu_worker";

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
        scripts: { dev: "flash run", routes: "flash routes", build: "flash build", deploy: "flash deploy" },
        dependencies: { "runpod-flash": sdkVersion === "dev" ? "*" : `^${sdkVersion}` },
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

/**
 * Writes a new project into `dir`. Refuses (writing nothing) when any file already exists.
 * @returns the paths written, relative to `dir`
 * @throws FlashError USAGE listing the files that would be overwritten
 */
export async function scaffoldProject(
  dir: string,
  projectName: string,
  sdkVersion: string,
): Promise<string[]> {
  const files = scaffoldFiles(projectName, sdkVersion);
  const clashes = Object.keys(files).filter((rel) => existsSync(join(dir, rel)));
  if (clashes.length > 0) {
    throw new FlashError(
      "USAGE",
      `flash init would overwrite ${clashes.join(", ")} in ${dir}; nothing was written.`,
      { hint: "Run it in an empty folder, or give a new folder name: flash init my-app" },
    );
  }
  for (const [rel, text] of Object.entries(files)) {
    const path = join(dir, rel);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text, { flag: "wx" });
  }
  return Object.keys(files).map((rel) => relative(dir, join(dir, rel)));
}
