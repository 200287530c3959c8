import { describe, expect, it } from "vitest";
import { modulePathOf, resourceNameOf, tagOf, urlPrefixOf } from "../../src/scan/naming.ts";

describe("naming rules (SPEC 3)", () => {
  it.each([
    ["gpu_worker.ts", "/gpu_worker", "gpu_worker", "gpu_worker"],
    ["longruns/stage1.ts", "/longruns/stage1", "longruns_stage1", "longruns.stage1"],
    ["preprocess/first_pass.ts", "/preprocess/first_pass", "preprocess_first_pass", "preprocess.first_pass"],
    ["workers/gpu/inference.ts", "/workers/gpu/inference", "workers_gpu_inference", "workers.gpu.inference"],
    ["my-worker.ts", "/my-worker", "my_worker", "my-worker"],
    ["api/v1.2/routes.mts", "/api/v1.2/routes", "api_v1_2_routes", "api.v1.2.routes"],
    ["jobs/run.mjs", "/jobs/run", "jobs_run", "jobs.run"],
    ["plain.js", "/plain", "plain", "plain"],
  ])("%s → prefix %s, resource %s, module %s", (path, prefix, resource, module) => {
    expect(urlPrefixOf(path)).toBe(prefix);
    expect(resourceNameOf(path)).toBe(resource);
    expect(modulePathOf(path)).toBe(module);
  });

  it("tags routes by file and type", () => {
    expect(tagOf("gpu_worker.ts", false)).toBe("gpu_worker [QB]");
    expect(tagOf("api/routes.ts", true)).toBe("api/routes [LB]");
  });
});
