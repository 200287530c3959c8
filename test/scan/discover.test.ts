import { describe, expect, it } from "vitest";
import { routesOf, scanProject } from "../../src/scan/index.ts";
import type { FlashError } from "../../src/shared/errors.ts";
import { GPU_WORKER, makeProject } from "../helpers/project.ts";

async function scanError(files: Record<string, string>): Promise<FlashError> {
  const err = await scanProject(makeProject(files)).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!err) throw new Error("expected the scan to fail");
  return err as FlashError;
}

const QB_HEADER = `import { remote, LiveServerless, CpuLiveServerless } from "runpod-flash";\n`;
const LB_HEADER = `import { remote, CpuLiveLoadBalancer } from "runpod-flash";\n`;

describe("discovery of the PRD project shape", () => {
  const files = {
    "gpu_worker.ts": GPU_WORKER,
    "longruns/stage1.ts": `${QB_HEADER}const cpu = new CpuLiveServerless({ workersMax: 2 });
export const stage1_preprocess = remote(cpu, async (x: { n: number }) => ({ n: x.n + 1 }));
export const stage1_infer = remote(cpu, async (x: { n: number }) => ({ n: x.n * 2 }));
`,
    "workers/gpu.ts": `${QB_HEADER}const gpu = new LiveServerless({ name: "gpu_heavy" });
export const heavyCompute = remote(gpu, async (data: { text: string }) => ({ length: data.text.length }));
`,
    "api/routes.ts": `${LB_HEADER}import { heavyCompute } from "../workers/gpu";

const api = new CpuLiveLoadBalancer({ name: "api_routes" });

export const processRoute = remote(api, { method: "POST", path: "/process" }, async (body: { text: string }) =>
  heavyCompute(body),
);
export const getItem = remote(api, { method: "get", path: "/items/{id}" }, async (_q: unknown) => ({ ok: true }));
`,
    "my-worker.ts": `${QB_HEADER}export const go = remote(new LiveServerless(), async () => undefined);\n`,
    "lib/helpers.ts": "export const add = (a: number, b: number) => a + b;\n",
  };

  it("finds one resource per file with the exact names, prefixes and module paths", async () => {
    const scan = await scanProject(makeProject(files));
    expect(
      scan.resources.map((r) => [
        r.file,
        r.resourceName,
        r.endpointName,
        r.urlPrefix,
        r.modulePath,
        r.resourceType,
      ]),
    ).toEqual([
      ["api/routes.ts", "api_routes", "api_routes", "/api/routes", "api.routes", "CpuLiveLoadBalancer"],
      ["gpu_worker.ts", "gpu_worker", "gpu_worker", "/gpu_worker", "gpu_worker", "LiveServerless"],
      [
        "longruns/stage1.ts",
        "longruns_stage1",
        "longruns_stage1",
        "/longruns/stage1",
        "longruns.stage1",
        "CpuLiveServerless",
      ],
      ["my-worker.ts", "my_worker", "my_worker", "/my-worker", "my-worker", "LiveServerless"],
      ["workers/gpu.ts", "workers_gpu", "gpu_heavy", "/workers/gpu", "workers.gpu", "LiveServerless"],
    ]);
    expect(scan.warnings).toEqual([]);
    expect(scan.filesScanned).toBe(6);
  });

  it("records functions with lines, LB methods (upper-cased) and paths, and remote calls", async () => {
    const scan = await scanProject(makeProject(files));
    const api = scan.resources.find((r) => r.resourceName === "api_routes")!;
    expect(api.functions.map((f) => [f.name, f.method, f.path, f.at.line])).toEqual([
      ["processRoute", "POST", "/process", 6],
      ["getItem", "GET", "/items/{id}", 9],
    ]);
    expect(api.makesRemoteCalls).toBe(true);
    expect(api.calls).toEqual(["workers_gpu"]);
    expect(scan.resources.filter((r) => r.makesRemoteCalls).map((r) => r.resourceName)).toEqual([
      "api_routes",
    ]);
  });

  it("derives the SPEC 4 routes", async () => {
    const scan = await scanProject(makeProject(files));
    expect(
      routesOf(scan).map((r) => `${r.method} ${r.path} ${r.resource} ${r.type} ${r.file}:${r.line}`),
    ).toEqual([
      "POST /api/routes/process api_routes LB api/routes.ts:6",
      "GET /api/routes/items/{id} api_routes LB api/routes.ts:9",
      "POST /gpu_worker/run gpu_worker QB gpu_worker.ts:5",
      "POST /gpu_worker/run_sync gpu_worker QB gpu_worker.ts:5",
      "POST /longruns/stage1/stage1_preprocess/run longruns_stage1 QB longruns/stage1.ts:3",
      "POST /longruns/stage1/stage1_preprocess/run_sync longruns_stage1 QB longruns/stage1.ts:3",
      "POST /longruns/stage1/stage1_infer/run longruns_stage1 QB longruns/stage1.ts:4",
      "POST /longruns/stage1/stage1_infer/run_sync longruns_stage1 QB longruns/stage1.ts:4",
      "POST /my-worker/run my_worker QB my-worker.ts:2",
      "POST /my-worker/run_sync my_worker QB my-worker.ts:2",
      "POST /workers/gpu/run workers_gpu QB workers/gpu.ts:3",
      "POST /workers/gpu/run_sync workers_gpu QB workers/gpu.ts:3",
    ]);
  });
});

describe("config resolution", () => {
  it("reads an inline config, SDK enums and process.env references", async () => {
    const scan = await scanProject(
      makeProject({
        "w.ts": `import { remote, LiveServerless, GpuGroup, GpuType, NetworkVolume, DataCenter } from "runpod-flash";
export const f = remote(
  new LiveServerless({
    gpus: [GpuGroup.ADA_24, GpuType.L4],
    workersMin: 1,
    workersMax: 4,
    idleTimeout: 30,
    env: { HF_TOKEN: process.env.HF_TOKEN, MODE: \`fast\` },
    networkVolume: new NetworkVolume({ name: "models", size: 50, dataCenter: DataCenter.EU_RO_1 }),
  }),
  async () => 1,
);
`,
      }),
    );
    const config = scan.resources[0]!.config;
    expect(config).toMatchObject({
      resourceType: "LiveServerless",
      gpus: ["ADA_24", "NVIDIA L4"],
      workersMin: 1,
      workersMax: 4,
      idleTimeout: 30,
      env: { HF_TOKEN: `$${"{"}HF_TOKEN}`, MODE: "fast" },
      networkVolume: { name: "models", size: 50, dataCenter: "EU-RO-1" },
      executionTimeoutMs: 600000,
      flashboot: true,
    });
    expect(config.name).toBeUndefined();
  });

  it("follows a config imported from another file, through a barrel and aliases", async () => {
    const scan = await scanProject(
      makeProject({
        "config/gpu.ts": `import { LiveServerless as LS } from "runpod-flash";\nconst MAX = 5;\nexport const gpuConfig = new LS({ workersMax: MAX });\n`,
        "config/index.ts": `export { gpuConfig as sharedGpu } from "./gpu.js";\n`,
        "worker.ts": `import { remote as r } from "runpod-flash";\nimport { sharedGpu } from "./config";\nexport const embed = r(sharedGpu, async (x: string) => x);\n`,
      }),
    );
    expect(scan.resources.map((r) => [r.file, r.endpointName, r.config.workersMax, r.configAt])).toEqual([
      ["worker.ts", "worker", 5, { file: "config/gpu.ts", line: 3, column: 26 }],
    ]);
  });

  it("understands a namespace import and `export { local as name }`", async () => {
    const scan = await scanProject(
      makeProject({
        "ns.ts": `import * as flash from "runpod-flash";
const cfg = new flash.CpuLiveServerless({ instanceIds: [flash.CpuInstanceType.CPU3C_2_4] });
const impl = flash.remote(cfg, async () => "ok");
export { impl as publicName };
`,
      }),
    );
    const r = scan.resources[0]!;
    expect(r.functions.map((f) => f.name)).toEqual(["publicName"]);
    expect(r.config.instanceIds).toEqual(["cpu3c-2-4"]);
    expect(r.config.containerDiskInGb).toBe(20);
  });

  it("does not discover a function twice through a barrel re-export", async () => {
    const scan = await scanProject(
      makeProject({
        "gpu_worker.ts": GPU_WORKER,
        "index.ts": `export * from "./gpu_worker";\nexport { process as p } from "./gpu_worker";\n`,
      }),
    );
    expect(scan.resources.map((r) => r.file)).toEqual(["gpu_worker.ts"]);
  });

  it("reads dependencies and system dependencies from the options", async () => {
    const scan = await scanProject(
      makeProject({
        "w.ts": `${QB_HEADER}const c = new CpuLiveServerless();\nexport const f = remote(c, { dependencies: ["sharp@0.33.0"], systemDependencies: ["ffmpeg"] }, async () => 1);\n`,
      }),
    );
    expect(scan.resources[0]!.functions[0]).toMatchObject({
      dependencies: ["sharp@0.33.0"],
      systemDependencies: ["ffmpeg"],
    });
  });

  it("ignores files that never import the SDK, and type-only imports", async () => {
    const scan = await scanProject(
      makeProject({
        "gpu_worker.ts": GPU_WORKER,
        "client.ts": `import type { process } from "./gpu_worker";\nexport type P = typeof process;\n`,
        "util.ts": `export function remote(a: number) { return a; }\nexport const x = remote(1);\n`,
      }),
    );
    expect(scan.resources.map((r) => r.file)).toEqual(["gpu_worker.ts"]);
    expect(scan.resources[0]!.makesRemoteCalls).toBe(false);
  });
});

describe("errors name the file, line and column", () => {
  it("reports a syntax error with the parser's message", async () => {
    const err = await scanError({
      "gpu_worker.ts": GPU_WORKER,
      "broken.ts": `${QB_HEADER}const c = new LiveServerless();\nexport const f = remote(c, async (x) => {\n  return x +;\n});\n`,
    });
    expect(err.code).toBe("SCAN_SYNTAX");
    expect(err.message).toMatch(/^broken\.ts:4:\d+: /);
  });

  it("reports unbalanced brackets anywhere in a file, even outside remote() statements", async () => {
    const err = await scanError({ "gpu_worker.ts": `${GPU_WORKER}\nexport const x = (;\n` });
    expect(err.code).toBe("SCAN_SYNTAX");
    expect(err.message).toMatch(/^gpu_worker\.ts:9:\d+: /);
  });

  it("rejects a config that cannot be read statically", async () => {
    const err = await scanError({
      "w.ts": `${QB_HEADER}function makeConfig() { return new LiveServerless(); }\nconst cfg = makeConfig();\nexport const f = remote(cfg, async () => 1);\n`,
    });
    expect(err.code).toBe("SCAN_INVALID");
    expect(err.message).toBe(
      "w.ts:3:13: f: the config must be `new LiveServerless({...})` (or another config class), a const holding one, or one imported from a project file",
    );
  });

  it("rejects a non-literal config field, pointing at the field", async () => {
    const err = await scanError({
      "w.ts": `${QB_HEADER}const n = Number("3");\nexport const f = remote(new LiveServerless({ workersMax: n }), async () => 1);\n`,
    });
    expect(err.message).toBe(
      "w.ts:2:11: f: this value cannot be read without running your code; use a literal or a const",
    );
  });

  it("requires one config per file, naming both lines", async () => {
    const err = await scanError({
      "w.ts": `${QB_HEADER}const a = new LiveServerless();\nconst b = new LiveServerless();\nexport const f = remote(a, async () => 1);\n\nexport const g = remote(b, async () => 2);\n`,
    });
    expect(err.message).toBe(
      "w.ts:6:18: g uses a different config than f (line 4); a file is one endpoint, so all its remote functions share one config. Move g to a file of its own.",
    );
  });

  it("rejects two files sharing one config object, naming both files", async () => {
    const err = await scanError({
      "config.ts": `import { LiveServerless } from "runpod-flash";\nexport const gpu = new LiveServerless();\n`,
      "a.ts": `import { remote } from "runpod-flash";\nimport { gpu } from "./config";\nexport const fa = remote(gpu, async () => 1);\n`,
      "b.ts": `import { remote } from "runpod-flash";\nimport { gpu } from "./config";\nexport const fb = remote(gpu, async () => 1);\n`,
    });
    expect(err.message).toBe(
      "b.ts:3:19: b.ts and a.ts use the same config object (config.ts:2); each file is its own endpoint, so give each file its own config",
    );
  });

  it("rejects two files with the same endpoint name", async () => {
    const err = await scanError({
      "a.ts": `${QB_HEADER}export const fa = remote(new LiveServerless({ name: "shared" }), async () => 1);\n`,
      "b.ts": `${QB_HEADER}export const fb = remote(new LiveServerless({ name: "shared" }), async () => 1);\n`,
    });
    expect(err.message).toBe(
      'b.ts:2:19: b.ts and a.ts both use endpoint name "shared"; each file is its own endpoint, so give each config its own name',
    );
  });

  it("rejects files whose resource names collide", async () => {
    const err = await scanError({
      "a/b.ts": `${QB_HEADER}export const f1 = remote(new LiveServerless({ name: "one" }), async () => 1);\n`,
      "a_b.ts": `${QB_HEADER}export const f2 = remote(new LiveServerless({ name: "two" }), async () => 1);\n`,
    });
    expect(err.message).toBe(
      'a_b.ts:2:19: a_b.ts and a/b.ts both map to resource name "a_b"; rename one of the files',
    );
  });

  it("validates LB methods and paths, and requires a path", async () => {
    const err = await scanError({
      "api.ts": `${LB_HEADER}const api = new CpuLiveLoadBalancer();
export const a = remote(api, { method: "FETCH", path: "/a" }, async () => 1);
export const b = remote(api, { method: "GET", path: "no-slash" }, async () => 1);
export const c = remote(api, async () => 1);
`,
    });
    expect(err.message).toBe(
      [
        "3 problems found:",
        '  api.ts:3:18: a: invalid method "FETCH"; expected one of GET, POST, PUT, PATCH, DELETE.',
        '  api.ts:4:18: b: invalid path "no-slash"; expected a path starting with "/", made of plain segments and {param} segments (e.g. "/items/{id}").',
        '  api.ts:5:18: c: a load-balanced route needs a path: remote(config, { method: "POST", path: "/compute" }, fn)',
      ].join("\n"),
    );
  });

  it("reports invalid config values at the config, with field, value and range", async () => {
    const err = await scanError({
      "w.ts": `${QB_HEADER}\nconst c = new LiveServerless({ idleTimeout: 0 });\nexport const f = remote(c, async () => 1);\n`,
    });
    expect(err.message).toBe(
      "w.ts:3:11: LiveServerless: invalid idleTimeout 0; expected an integer from 1 to 3600.",
    );
  });

  it("rejects duplicate LB routes in a file and route clashes across files", async () => {
    const dup = await scanError({
      "api.ts": `${LB_HEADER}const api = new CpuLiveLoadBalancer();\nexport const a = remote(api, { path: "/x" }, async () => 1);\nexport const b = remote(api, { path: "/x" }, async () => 2);\n`,
    });
    expect(dup.message).toBe("api.ts:4:18: b declares POST /x, already declared by a (line 3)");
    const clash = await scanError({
      "a.ts": `${LB_HEADER}export const h = remote(new CpuLiveLoadBalancer(), { path: "/b/run" }, async () => 1);\n`,
      "a/b.ts": `${QB_HEADER}export const q = remote(new LiveServerless({ name: "ab" }), async () => 1);\n`,
    });
    expect(clash.message).toContain("route POST /a/b/run is also served by");
  });
});

describe("warnings", () => {
  it("warns about unexported remote functions, ignored options and LB handlers calling LB handlers", async () => {
    const scan = await scanProject(
      makeProject({
        "q.ts": `${QB_HEADER}const c = new LiveServerless();
export const a = remote(c, { method: "GET", path: "/x" }, async () => 1);
const hidden = remote(c, async () => 2);
`,
        "api.ts": `${LB_HEADER}const api = new CpuLiveLoadBalancer();
export const list = remote(api, { method: "GET", path: "/items" }, async () => []);
export const first = remote(api, { method: "GET", path: "/first" }, async () => {
  const all = await list({});
  return all[0];
});
`,
      }),
    );
    expect(
      scan.warnings.map((w) => `${w.code} ${w.at.file}:${w.at.line}:${w.at.column} ${w.message}`),
    ).toEqual([
      "LB_CALLS_LB api.ts:5:21 first calls the load-balanced handler list directly: it runs in-process, not as a request to its endpoint. Move shared logic into a plain function or a queue-based remote function.",
      'IGNORED_OPTION q.ts:3:18 a: option "method" is ignored for LiveServerless (queue-based endpoints take jobs at /run and /run_sync, not HTTP routes)',
      'IGNORED_OPTION q.ts:3:18 a: option "path" is ignored for LiveServerless (queue-based endpoints take jobs at /run and /run_sync, not HTTP routes)',
      "UNEXPORTED_REMOTE q.ts:4:16 hidden is a remote() function but is not exported, so it cannot be routed or deployed; add `export`",
    ]);
    expect(scan.resources.map((r) => r.functions.map((f) => f.name))).toEqual([["list", "first"], ["a"]]);
  });

  it("flags a QB function called from an LB file only when it is used", async () => {
    const scan = await scanProject(
      makeProject({
        "gpu_worker.ts": GPU_WORKER,
        "api/used.ts": `${LB_HEADER}import * as w from "../gpu_worker";\nexport const r = remote(new CpuLiveLoadBalancer({ name: "u" }), { path: "/r" }, async () => w.process({ prompt: "x" }));\n`,
        "api/unused.ts": `${LB_HEADER}import { process } from "../gpu_worker";\nexport const r = remote(new CpuLiveLoadBalancer({ name: "n" }), { path: "/r" }, async () => 1);\n`,
      }),
    );
    expect(scan.resources.map((r) => [r.file, r.makesRemoteCalls, r.calls])).toEqual([
      ["api/unused.ts", false, []],
      ["api/used.ts", true, ["gpu_worker"]],
      ["gpu_worker.ts", false, []],
    ]);
  });

  it("does not count a type-only import of a remote function as a call", async () => {
    const scan = await scanProject(
      makeProject({
        "gpu_worker.ts": GPU_WORKER,
        "api/typed.ts": `${LB_HEADER}import type { process } from "../gpu_worker";\nimport { type process as p2 } from "../gpu_worker";\ntype Out = Awaited<ReturnType<typeof process | typeof p2>>;\nexport const r = remote(new CpuLiveLoadBalancer({ name: "t" }), { path: "/r" }, async (): Promise<Out | null> => null);\n`,
      }),
    );
    expect(scan.resources.map((r) => [r.file, r.makesRemoteCalls])).toEqual([
      ["api/typed.ts", false],
      ["gpu_worker.ts", false],
    ]);
  });
});

describe("source the reducer must not misread", () => {
  it("reads the SDK's local names from an import whose names contain the word import", async () => {
    const scan = await scanProject(
      makeProject({
        "w.ts": `import { helper } from "./lib"\nimport { remote as importedRemote, LiveServerless as Cfg } from "runpod-flash"\nconst gpu = new Cfg({})\nexport const go = importedRemote(gpu, async () => helper())\n`,
        "lib.ts": "export const helper = () => 1;\n",
      }),
    );
    expect(scan.resources.map((r) => [r.file, r.functions.map((f) => f.name)])).toEqual([["w.ts", ["go"]]]);
  });

  it("reports a syntax error inside a handler body that the quick parser skips", async () => {
    const err = await scanError({
      "gpu_worker.ts": `${QB_HEADER}const c = new LiveServerless();\nexport const f = remote(c, async (x: number) => {\n  const y = x +* 2;\n  return y;\n});\n`,
    });
    expect(err.code).toBe("SCAN_SYNTAX");
    expect(err.message).toMatch(/^gpu_worker\.ts:4:\d+: /);
  });

  it("finds remote() calls nested in functions of a file the quick parser reads", async () => {
    const scan = await scanProject(
      makeProject({
        "w.ts": `${QB_HEADER}const gpu = new LiveServerless();\nexport const outer = remote(gpu, async () => {\n  const inner = remote(gpu, async () => 1);\n  return inner();\n});\n`,
      }),
    );
    expect(scan.warnings.map((w) => [w.code, w.at.line])).toEqual([["UNEXPORTED_REMOTE", 4]]);
  });

  it("handles ASI, template literals, regexes and comments mentioning remote(", async () => {
    const scan = await scanProject(
      makeProject({
        "w.ts": `import { remote, LiveServerless } from "runpod-flash"
// remote(notReal) in a comment
const re = /[{(]remote\\(/g
const tpl = \`\${"{"} remote( \${\`nested \${1}\`} }\`
const gpu = new LiveServerless({ workersMax: 2 })
function helper() { return { a: "}" } }
export const one = remote(gpu, async (s: string) => s + tpl + String(re) + helper().a)
/* export const fake = remote(gpu, async () => 0) */
export const two = remote(gpu, async () => {
  const inner = \`}\`
  return inner
})
`,
      }),
    );
    expect(scan.resources[0]!.functions.map((f) => [f.name, f.at.line])).toEqual([
      ["one", 7],
      ["two", 9],
    ]);
  });
});
