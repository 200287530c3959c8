import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { t as listTar } from "tar";
import { describe, expect, test } from "vitest";
import { buildProject } from "../../src/build/build-project.ts";
import { bundleResources } from "../../src/build/bundle-resources.ts";
import { CARRIED_NODE_VERSION } from "../../src/build/carried-node.ts";
import { scanProject } from "../../src/scan/index.ts";
import { isFlashError } from "../../src/shared/errors.ts";
import { runFlash } from "../helpers/cli.ts";
import { GPU_WORKER, makeProject } from "../helpers/project.ts";

const QB = `import { remote, LiveServerless } from "runpod-flash";
import { used } from "../lib/helpers";

const gpu = new LiveServerless({ name: "worker" });

export const work = remote(gpu, async (x: { n: number }) => used(x.n));
`;

const LB = `import { remote, CpuLiveLoadBalancer } from "runpod-flash";
import { work } from "../workers/work";

const api = new CpuLiveLoadBalancer({ name: "api" });

export const run = remote(api, { method: "POST", path: "/run" }, async (b: { n: number }) => work(b));
export const item = remote(api, { method: "GET", path: "/items/{id}" }, async () => ({ ok: true }));
`;

const HELPERS = `export function used(n: number) { return { value: n, marker: "USED_HELPER_MARKER" }; }
export function unused() { return "UNUSED_HELPER_MARKER"; }
`;

async function entries(file: string): Promise<string[]> {
  const names: string[] = [];
  await listTar({ file, onReadEntry: (e) => names.push(e.path) });
  return names;
}

describe("flash build", () => {
  test("writes one tree-shaken bundle per resource with source maps, packed in the runtime's layout", async () => {
    const dir = makeProject({
      "workers/work.ts": QB,
      "api/routes.ts": LB,
      "lib/helpers.ts": HELPERS,
      ".flash/keep.txt": "mine",
    });
    const r = await buildProject(dir);
    expect(r.bundles.map((b) => b.resourceName).sort()).toEqual(["api_routes", "workers_work"]);
    // The GPU resource's default image (CUDA) has no Node, so the artifact carries one, first.
    expect(await entries(r.artifact.path)).toEqual([
      "node/bin/node",
      "manifest.json",
      "node_modules/runpod-flash/dist/index.js",
      "node_modules/runpod-flash/dist/runtime/worker.js",
      "node_modules/runpod-flash/package.json",
      "resources/api_routes.mjs",
      "resources/api_routes.mjs.map",
      "resources/workers_work.mjs",
      "resources/workers_work.mjs.map",
    ]);
    expect(r.carriedNode).toBe(CARRIED_NODE_VERSION);
    const qb = readFileSync(join(dir, ".flash/build/resources/workers_work.mjs"), "utf8");
    expect(qb).toContain("USED_HELPER_MARKER");
    expect(qb).not.toContain("UNUSED_HELPER_MARKER");
    expect(qb).toMatch(/from "runpod-flash"/);
    expect(qb).toContain("sourceMappingURL=workers_work.mjs.map");
    // The LB bundle carries its route table and registers the QB resource it calls.
    const lb = readFileSync(join(dir, ".flash/build/resources/api_routes.mjs"), "utf8");
    expect(lb).toMatch(/__flash_routes__ = \[\{ method: "POST", path: "\/run", name: "run"/);
    expect(lb).toContain('__flash_resources.set("workers_work", { module:');
    expect(readFileSync(join(dir, ".flash/keep.txt"), "utf8")).toBe("mine");
    const inArtifact = readFileSync(join(dir, ".flash/build/manifest.json"), "utf8");
    expect(inArtifact).toBe(readFileSync(r.manifestPath, "utf8"));
    expect(r.artifact.bytes).toBe(readFileSync(r.artifact.path).byteLength);
  });

  test("is reproducible: the same project gives the same artifact bytes", async () => {
    const dir = makeProject({ "workers/work.ts": QB, "lib/helpers.ts": HELPERS });
    const a = await buildProject(dir);
    const b = await buildProject(dir);
    expect(b.artifact.sha256).toBe(a.artifact.sha256);
  });

  test("leaves declared and native packages external and lists them for install; inlines the rest", async () => {
    const dir = makeProject({
      "a.ts": `import { remote, LiveServerless } from "runpod-flash";
import leftPad from "left-pad";
import { native } from "fake-native";
import { pure } from "pure-pkg";
const c = new LiveServerless({ name: "a" });
export const f = remote(c, { dependencies: ["left-pad@1.3.0"] }, async () => [leftPad("x", 3), native(), pure()]);
`,
      "b.ts": `import { remote, LiveServerless } from "runpod-flash";
import leftPad from "left-pad";
const c = new LiveServerless({ name: "b" });
export const g = remote(c, { dependencies: ["is-odd@3"] }, async () => leftPad("y", 2));
`,
      "node_modules/fake-native/package.json": JSON.stringify({
        name: "fake-native",
        version: "2.1.0",
        main: "index.js",
        gypfile: true,
      }),
      "node_modules/fake-native/index.js": "exports.native = () => 'NATIVE_CODE_MARKER';\n",
      "node_modules/pure-pkg/package.json": JSON.stringify({
        name: "pure-pkg",
        version: "1.0.0",
        main: "index.js",
      }),
      "node_modules/pure-pkg/index.js": "exports.pure = () => 'PURE_CODE_MARKER';\n",
    });
    // Bundling alone: installing these (fake-native is on no registry) is the next test's subject.
    const out = join(dir, ".flash/build");
    const bundles = await bundleResources(await scanProject(dir), out);
    const deps = Object.fromEntries(bundles.map((b) => [b.resourceName, b.dependencies]));
    expect(deps.a).toEqual(["left-pad@1.3.0", "fake-native@2.1.0"]);
    // b imports left-pad without declaring it: it gets the spec a declared, plus its own declaration.
    expect(deps.b).toEqual(["is-odd@3", "left-pad@1.3.0"]);
    const a = readFileSync(join(dir, ".flash/build/resources/a.mjs"), "utf8");
    expect(a).toContain('from "left-pad"');
    expect(a).toContain('from "fake-native"');
    expect(a).not.toContain("NATIVE_CODE_MARKER");
    expect(a).toContain("PURE_CODE_MARKER");
  });

  test("installs the bundles' npm dependencies for linux x64 into the artifact, next to the runtime", {
    timeout: 120_000,
  }, async () => {
    const dir = makeProject({
      "cpu.ts": `import { remote, CpuLiveServerless } from "runpod-flash";
import { transformSync } from "esbuild";
const c = new CpuLiveServerless({ name: "cpu" });
export const f = remote(c, async (code: string) => transformSync(code, { loader: "ts" }).code);
`,
      // In the project's own node_modules too (as after npm install): not what the artifact takes.
      "node_modules/esbuild/package.json": JSON.stringify({
        name: "esbuild",
        version: "0.28.2",
        main: "index.js",
        optionalDependencies: { "@esbuild/linux-x64": "0.28.2", "@esbuild/darwin-arm64": "0.28.2" },
      }),
      "node_modules/esbuild/index.js": "exports.transformSync = () => 'PROJECT_COPY';\n",
    });
    const r = await buildProject(dir);
    expect(r.bundles[0]!.dependencies).toEqual(["esbuild@0.28.2"]);
    expect(r.installed.packages).toEqual(["@esbuild/linux-x64@0.28.2", "esbuild@0.28.2"]);
    // CPU images have Node: nothing carried.
    expect(r.carriedNode).toBeUndefined();
    const names = await entries(r.artifact.path);
    expect(names).not.toContain("node/bin/node");
    expect(names).toContain("node_modules/@esbuild/linux-x64/bin/esbuild");
    expect(names).toContain("node_modules/runpod-flash/dist/runtime/worker.js");
    expect(names.filter((n) => n.startsWith("node_modules/@esbuild/"))).toEqual(
      names.filter((n) => n.startsWith("node_modules/@esbuild/linux-x64/")),
    );
    const unpacked = join(dir, "unpacked");
    mkdirSync(unpacked);
    execFileSync("tar", ["xzf", r.artifact.path, "-C", unpacked]);
    expect(readFileSync(join(unpacked, "node_modules/esbuild/lib/main.js"), "utf8")).not.toContain(
      "PROJECT_COPY",
    );
    const code = execFileSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import { f } from "./resources/cpu.mjs"; console.log(await f("let a: number = 1"));`,
      ],
      { cwd: unpacked, encoding: "utf8", env: { PATH: process.env.PATH } },
    );
    expect(code.trim()).toBe("let a = 1;");
  });

  test("a bundle loads in Node: inlined CommonJS can require built-ins, user code may declare require", async () => {
    const dir = makeProject({
      "w.ts": `import { createRequire } from "node:module";
import { remote, LiveServerless } from "runpod-flash";
import { joined } from "cjs-pkg";
const require = createRequire(import.meta.url);
const c = new LiveServerless({ name: "w" });
export const f = remote(c, async () => ({ joined: joined("a", "b"), sep: require("node:path").sep }));
`,
      "node_modules/cjs-pkg/package.json": JSON.stringify({
        name: "cjs-pkg",
        version: "1.0.0",
        main: "index.js",
      }),
      "node_modules/cjs-pkg/index.js":
        "const path = require('path');\nexports.joined = (a, b) => path.posix.join(a, b);\n",
    });
    mkdirSync(join(dir, "node_modules"), { recursive: true });
    symlinkSync(
      fileURLToPath(new URL("../..", import.meta.url)),
      join(dir, "node_modules/runpod-flash"),
      "junction",
    );
    await buildProject(dir);
    const bundle = pathToFileURL(join(dir, ".flash/build/resources/w.mjs")).href;
    const out = execFileSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const m = await import(${JSON.stringify(bundle)});
         const meta = m.f[Symbol.for("runpod-flash.remote")];
         process.stdout.write(JSON.stringify(await meta.fn(null)));`,
      ],
      { encoding: "utf8" },
    );
    expect(JSON.parse(out)).toEqual({ joined: "a/b", sep: "/" });
  });

  test("respects .flashignore", async () => {
    const dir = makeProject({
      "gpu_worker.ts": GPU_WORKER,
      "scratch/try.ts": GPU_WORKER.replace('name: "gpu_worker"', 'name: "scratch"'),
      ".flashignore": "scratch/\n",
    });
    const r = await buildProject(dir);
    expect(Object.keys(r.manifest.resources)).toEqual(["gpu_worker"]);
    expect(existsSync(join(dir, ".flash/build/resources/scratch_try.mjs"))).toBe(false);
  });

  test("a bundling error names file:line:column", async () => {
    const dir = makeProject({
      "gpu_worker.ts": `import "./nowhere";\n${GPU_WORKER}`,
    });
    const err = await buildProject(dir).catch((e: unknown) => e);
    expect(isFlashError(err, "BUILD_FAILED"), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/^gpu_worker\.ts:1:\d+: Could not resolve "\.\/nowhere"/);
  });

  test("the CLI prints a table of resources with bundle sizes, and scan warnings", async () => {
    const dir = makeProject({
      "workers/work.ts": `${QB}const hidden = remote(gpu, async () => 1);\n`,
      "api/routes.ts": LB,
      "lib/helpers.ts": HELPERS,
    });
    const r = await runFlash(["build", dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("hidden is a remote() function but is not exported");
    const rows = r.stdout.split("\n").map((l) => l.trim().split(/\s{2,}/));
    expect(rows[0]).toEqual(["Resource", "Type", "Config", "Functions", "Bundle", "Installs", "File"]);
    expect(rows[2]).toEqual([
      "api_routes",
      "LB",
      "CpuLiveLoadBalancer",
      "2",
      expect.stringMatching(/kB|B$/),
      "-",
      "api/routes.ts",
    ]);
    expect(r.stdout).toMatch(/Artifact \.flash\/artifact\.tar\.gz {2}[\d.]+ [kM]?B {2}\(2 bundles\)/);
  });
});
