import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readManifest } from "../../src/build/manifest.ts";
import { runFlash } from "../helpers/cli.ts";
import { GPU_WORKER, makeProject } from "../helpers/project.ts";

const PROJECT = {
  "gpu_worker.ts": GPU_WORKER,
  "longruns/stage1.ts": `import { remote, LiveServerless } from "runpod-flash";
const gpu = new LiveServerless({ workersMax: 2 });
export const stage1_process = remote(gpu, async (x: { n: number }) => x);
`,
  "preprocess/first_pass.ts": `import { remote, CpuLiveLoadBalancer } from "runpod-flash";
import { stage1_process } from "../longruns/stage1";
const lb = new CpuLiveLoadBalancer({ name: "first_pass_api" });
export const first_pass_fn = remote(lb, { method: "POST", path: "/compute" }, async (body: { n: number }) =>
  stage1_process(body),
);
`,
};

describe("flash routes", () => {
  it("prints a table with method, path, resource, type and file:line", async () => {
    const dir = makeProject(PROJECT);
    const r = await runFlash(["routes", dir]);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trimEnd()
      .split("\n")
      .map((l) => l.trim().split(/\s{2,}/));
    expect(lines[0]).toEqual(["Method", "Local path", "Resource", "Type", "Source"]);
    expect(lines.slice(2)).toEqual([
      ["POST", "/gpu_worker/run", "gpu_worker", "QB", "gpu_worker.ts:5"],
      ["POST", "/gpu_worker/run_sync", "gpu_worker", "QB", "gpu_worker.ts:5"],
      ["POST", "/longruns/stage1/run", "longruns_stage1", "QB", "longruns/stage1.ts:3"],
      ["POST", "/longruns/stage1/run_sync", "longruns_stage1", "QB", "longruns/stage1.ts:3"],
      ["POST", "/preprocess/first_pass/compute", "preprocess_first_pass", "LB", "preprocess/first_pass.ts:4"],
    ]);
  });

  it("prints JSON route objects with --json", async () => {
    const dir = makeProject(PROJECT);
    const r = await runFlash(["routes", "--json"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toContainEqual({
      method: "POST",
      path: "/preprocess/first_pass/compute",
      resource: "preprocess_first_pass",
      type: "LB",
      function: "first_pass_fn",
      file: "preprocess/first_pass.ts",
      line: 4,
    });
  });

  it("exits 1 with an example file and the next command when nothing is found", async () => {
    const dir = makeProject({ "lib.ts": "export const x = 1;\n" });
    const r = await runFlash(["routes", dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`error: No remote functions found in ${dir}.`);
    expect(r.stderr).toContain("export const process = remote(gpu, async (input: { prompt: string }) => {");
    expect(r.stderr).toContain("Then run: flash run");
  });

  it("exits 1 with file:line:column on a syntax error", async () => {
    const dir = makeProject({ "gpu_worker.ts": GPU_WORKER.replace("return {", "return {{") });
    const r = await runFlash(["routes", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: gpu_worker\.ts:6:\d+: /);
  });

  it("prints warnings on stderr without failing", async () => {
    const dir = makeProject({ "gpu_worker.ts": `${GPU_WORKER}const hidden = remote(gpu, async () => 1);\n` });
    const r = await runFlash(["routes", dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      "warning: gpu_worker.ts:8:16: hidden is a remote() function but is not exported, so it cannot be routed or deployed; add `export`\n",
    );
  });
});

describe("flash build", () => {
  it("writes .flash/manifest.json in the PRD section 10 layout and keeps other .flash files", async () => {
    const dir = makeProject({ ...PROJECT, ".flash/keep.txt": "mine" });
    const r = await runFlash(["build", dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Wrote ${join(dir, ".flash/manifest.json")}`);
    expect(readFileSync(join(dir, ".flash/keep.txt"), "utf8")).toBe("mine");
    const manifest = await readManifest(join(dir, ".flash/manifest.json"));
    const { config: c1, ...gpu } = manifest.resources.gpu_worker!;
    expect(gpu).toEqual({
      resource_type: "LiveServerless",
      file_path: "gpu_worker.ts",
      local_path_prefix: "/gpu_worker",
      module_path: "gpu_worker",
      functions: ["process"],
      is_load_balanced: false,
      makes_remote_calls: false,
    });
    expect(c1).toMatchObject({
      name: "gpu_worker",
      gpus: ["ANY"],
      workersMax: 3,
      dependencies: [],
      calls: [],
    });
    const { config: c2, ...lb } = manifest.resources.preprocess_first_pass!;
    expect(lb).toEqual({
      resource_type: "CpuLiveLoadBalancer",
      file_path: "preprocess/first_pass.ts",
      local_path_prefix: "/preprocess/first_pass",
      module_path: "preprocess.first_pass",
      functions: [{ name: "first_pass_fn", http_method: "POST", http_path: "/compute" }],
      is_load_balanced: true,
      makes_remote_calls: true,
    });
    expect(c2).toMatchObject({ name: "first_pass_api", calls: ["longruns_stage1"] });
    expect(manifest.version).toBe("1.0");
    expect(Object.keys(manifest.resources).sort()).toEqual([
      "gpu_worker",
      "longruns_stage1",
      "preprocess_first_pass",
    ]);
  });

  it("rejects a manifest that does not match the schema, naming the field", async () => {
    const dir = makeProject({ "gpu_worker.ts": GPU_WORKER });
    expect((await runFlash(["build", dir])).code).toBe(0);
    const path = join(dir, ".flash/manifest.json");
    const raw = JSON.parse(readFileSync(path, "utf8"));
    raw.resources.gpu_worker.functions = [42];
    writeFileSync(path, JSON.stringify(raw));
    await expect(readManifest(path)).rejects.toThrowError(/resources\.gpu_worker\.functions\.0/);
    expect(existsSync(path)).toBe(true);
  });
});
