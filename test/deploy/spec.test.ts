import { describe, expect, test } from "vitest";
import { runpodUrls } from "../../src/cloud/http.ts";
import { endpointChanges, mergePlatformEnv, templateChanges } from "../../src/deploy/compare.ts";
import { calleesFirst } from "../../src/deploy/deploy.ts";
import { desiredEndpoint, type SpecContext } from "../../src/deploy/endpoint-spec.ts";
import { resolveConfigEnv } from "../../src/deploy/env-values.ts";
import { workerImage } from "../../src/deploy/images.ts";
import { checkEnvironmentName, deployedEndpointName } from "../../src/deploy/names.ts";
import { endpointUrls } from "../../src/deploy/urls.ts";
import type { ScannedResource } from "../../src/scan/types.ts";
import { resolveConfig } from "../../src/sdk/config.ts";
import { isFlashError } from "../../src/shared/errors.ts";

function resource(
  name: string,
  type: Parameters<typeof resolveConfig>[0],
  options: Record<string, unknown>,
  extra: Partial<ScannedResource> = {},
): ScannedResource {
  const config = resolveConfig(type, options);
  return {
    resourceName: name,
    endpointName: config.name ?? name,
    resourceType: type,
    isLoadBalanced: type.includes("LoadBalancer"),
    file: `${name}.ts`,
    urlPrefix: `/${name}`,
    modulePath: name,
    functions: [
      { name: "f", at: { file: `${name}.ts`, line: 5, column: 1 }, dependencies: [], systemDependencies: [] },
    ],
    config,
    configAt: { file: `${name}.ts`, line: 3, column: 13 },
    makesRemoteCalls: false,
    calls: [],
    ...extra,
  };
}

const ctx = (over: Partial<SpecContext> = {}): SpecContext => ({
  endpointName: "ep",
  image: "img:1",
  dockerArgs: "sh -c 'start'",
  configEnv: {},
  flashEnvironmentId: "env1",
  codeFingerprint: "abc",
  endpointIds: new Map(),
  ...over,
});

describe("desiredEndpoint: every config field reaches RunPod", () => {
  test("GPU QB: pools (types sent as their pool), count, workers, scaler, timeout, flashboot, data centers", () => {
    const r = resource("gpu", "LiveServerless", {
      gpus: ["ADA_24", "NVIDIA GeForce RTX 4090", "AMPERE_80"],
      gpuCount: 2,
      workersMin: 1,
      workersMax: 4,
      idleTimeout: 120,
      scalerType: "REQUEST_COUNT",
      scalerValue: 7,
      executionTimeoutMs: 90_000,
      flashboot: false,
      dataCenters: ["US-KS-2", "EU-RO-1"],
      containerDiskInGb: 80,
      env: { A: "1" },
    });
    const d = desiredEndpoint(r, ctx({ configEnv: { A: "1" } }));
    expect(d.endpoint).toEqual({
      name: "ep",
      type: "QB",
      gpuIds: "ADA_24,AMPERE_80",
      gpuCount: 2,
      workersMin: 1,
      workersMax: 4,
      workersStandby: 1,
      idleTimeout: 120,
      scalerType: "REQUEST_COUNT",
      scalerValue: 7,
      executionTimeoutMs: 90_000,
      flashBootType: "OFF",
      locations: "US-KS-2,EU-RO-1",
      flashEnvironmentId: "env1",
    });
    expect(d.template).toMatchObject({
      name: "flash-tpl-ep",
      imageName: "img:1",
      containerDiskInGb: 80,
      volumeInGb: 0,
      isServerless: true,
    });
    expect(Object.fromEntries(d.template.env.map((e) => [e.key, e.value]))).toEqual({
      A: "1",
      FLASH_RESOURCE_NAME: "gpu",
      FLASH_MODULE_PATH: "gpu",
      FLASH_CODE_FINGERPRINT: "abc",
    });
  });

  test("CPU LB with a network volume: instance ids, the volume's data center, LB env", () => {
    const r = resource("api", "CpuLiveLoadBalancer", {
      instanceIds: ["cpu3c-2-4"],
      networkVolume: { name: "data", size: 10, dataCenter: "EU-CZ-1" },
    });
    const d = desiredEndpoint(r, ctx({ networkVolume: { id: "vol1", dataCenterId: "EU-CZ-1" } }));
    expect(d.endpoint).toMatchObject({
      type: "LB",
      instanceIds: ["cpu3c-2-4"],
      networkVolumeId: "vol1",
      locations: "EU-CZ-1",
      scalerType: "REQUEST_COUNT",
    });
    expect(d.endpoint.gpuIds).toBeUndefined();
    expect(d.template.env).toContainEqual({ key: "FLASH_ENDPOINT_TYPE", value: "lb" });
  });

  test("a resource that calls others gets FLASH_ENDPOINTS of its callees and the key, unless env sets one", () => {
    const r = resource("api", "CpuLiveLoadBalancer", {}, { makesRemoteCalls: true, calls: ["b", "a"] });
    const ids = new Map([
      ["a", "id-a"],
      ["b", "id-b"],
      ["other", "id-o"],
    ]);
    const env = (over: Partial<SpecContext>) =>
      Object.fromEntries(desiredEndpoint(r, ctx(over)).template.env.map((e) => [e.key, e.value]));
    const e = env({ endpointIds: ids, apiKey: "k" });
    expect(JSON.parse(e.FLASH_ENDPOINTS!)).toEqual({ a: "id-a", b: "id-b" });
    expect(e.RUNPOD_API_KEY).toBe("k");
    expect(
      env({ endpointIds: ids, apiKey: "k", configEnv: { RUNPOD_API_KEY: "{{ RUNPOD_SECRET_key }}" } })
        .RUNPOD_API_KEY,
    ).toBe("{{ RUNPOD_SECRET_key }}");
    expect(JSON.parse(env({ endpointIds: new Map([["a", "id-a"]]) }).FLASH_ENDPOINTS!)).toEqual({
      a: "id-a",
    });
  });
});

describe("compare", () => {
  const base = {
    id: "e1",
    name: "ep",
    templateId: "t1",
    type: "QB",
    gpuIds: "AMPERE_80,ADA_24",
    gpuCount: 1,
    instanceIds: [],
    workersMin: 0,
    workersMax: 3,
    workersStandby: 0,
    idleTimeout: 5,
    scalerType: "QUEUE_DELAY",
    scalerValue: 4,
    executionTimeoutMs: 600_000,
    flashBootType: "FLASHBOOT",
    networkVolumeId: null,
    locations: null,
    flashEnvironmentId: "env1",
  };
  const want = {
    name: "ep",
    templateId: "t1",
    type: "QB" as const,
    gpuIds: "ADA_24,AMPERE_80",
    gpuCount: 1,
    workersMin: 0,
    workersMax: 3,
    workersStandby: 0,
    idleTimeout: 5,
    scalerType: "QUEUE_DELAY" as const,
    scalerValue: 4,
    executionTimeoutMs: 600_000,
    flashBootType: "FLASHBOOT" as const,
    flashEnvironmentId: "env1",
  };

  test("equal modulo null/empty and list order", () => {
    expect(endpointChanges(want, base)).toEqual([]);
  });

  test("names each differing field, including ones RunPod reset to defaults", () => {
    expect(endpointChanges({ ...want, workersMax: 5, locations: "EU-RO-1" }, base)).toEqual([
      "workersMax",
      "locations",
    ]);
    expect(endpointChanges(want, { ...base, networkVolumeId: "v" })).toEqual(["networkVolumeId"]);
  });

  test("CPU endpoints ignore the GPU fields RunPod fills in", () => {
    const cpu = { ...want, gpuIds: undefined, gpuCount: undefined, instanceIds: ["cpu3g-2-8"] };
    expect(endpointChanges(cpu, { ...base, instanceIds: ["cpu3g-2-8"], gpuIds: "ANY" })).toEqual([]);
  });

  test("template env is compared by key; platform PORT vars are kept, not reported", () => {
    const desired = {
      name: "t",
      imageName: "i",
      containerDiskInGb: 10,
      volumeInGb: 0,
      env: [{ key: "A", value: "1" }],
    };
    const actual = {
      id: "t1",
      name: "t",
      imageName: "i",
      containerDiskInGb: 10,
      dockerArgs: "",
      env: [
        { key: "PORT", value: "80" },
        { key: "A", value: "2" },
        { key: "B", value: "x" },
      ],
    };
    expect(templateChanges(desired, actual)).toEqual(["env.A", "env.B"]);
    expect(mergePlatformEnv(desired.env, actual.env)).toEqual([
      { key: "A", value: "1" },
      { key: "PORT", value: "80" },
    ]);
  });
});

describe("names, images, URLs, env values", () => {
  test("endpoint names per environment", () => {
    expect(deployedEndpointName("gpu_worker", "production")).toBe("gpu_worker");
    expect(deployedEndpointName("gpu_worker", "staging")).toBe("gpu_worker-staging");
    expect(() => checkEnvironmentName("no spaces")).toThrow(/--env/);
  });

  test("images per class, overridable; own image for ServerlessEndpoint", () => {
    // Public images that exist: NVIDIA's CUDA 12 + cuDNN runtime for GPU, the official Node LTS for CPU.
    expect(workerImage("LiveServerless", undefined, {})).toBe("nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04");
    expect(workerImage("LiveLoadBalancer", undefined, {})).toBe(
      "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04",
    );
    expect(workerImage("CpuLiveLoadBalancer", undefined, {})).toBe("node:24-bookworm-slim");
    expect(workerImage("CpuLiveServerless", undefined, { FLASH_IMAGE_CPU: "me/cpu:1" })).toBe("me/cpu:1");
    expect(workerImage("ServerlessEndpoint", "me/own:2", { FLASH_IMAGE_GPU: "x" })).toBe("me/own:2");
  });

  test("URLs on RunPod and on the emulator", () => {
    expect(endpointUrls(runpodUrls({}), "abc", undefined)).toEqual(["https://api.runpod.ai/v2/abc/run"]);
    expect(endpointUrls(runpodUrls({}), "abc", ["/x", "/y/{id}"])).toEqual([
      "https://abc.api.runpod.ai/x",
      "https://abc.api.runpod.ai/y/{id}",
    ]);
    const emu = runpodUrls({ RUNPOD_API_URL: "http://127.0.0.1:8787" });
    expect(endpointUrls(emu, "abc", undefined)).toEqual(["http://127.0.0.1:8787/v2/abc/run"]);
    expect(endpointUrls(emu, "abc", ["/x"])).toEqual(["http://127.0.0.1:8787/lb/abc/x"]);
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: `${X}` is how discovery records process.env.X
  test("${X} filled from the environment; a missing one names X and the config's file:line", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: discovery's placeholder syntax
    const r = resource("w", "LiveServerless", { env: { TOKEN: "${MY_TOKEN}", URL: "https://${HOST}/x" } });
    expect(resolveConfigEnv(r, { MY_TOKEN: "t", HOST: "h" })).toEqual({ TOKEN: "t", URL: "https://h/x" });
    let err: unknown;
    try {
      resolveConfigEnv(r, { MY_TOKEN: "t" });
    } catch (e) {
      err = e;
    }
    expect(isFlashError(err, "CONFIG_INVALID")).toBe(true);
    expect((err as Error).message).toBe(
      "w.ts:3: env.URL needs HOST, which is not set in the environment or in .env.",
    );
  });

  test("callees first, cycles broken", () => {
    const a = resource("a", "LiveServerless", {}, { calls: ["b"] });
    const b = resource("b", "LiveServerless", {}, { calls: ["a"] });
    const api = resource("api", "CpuLiveLoadBalancer", {}, { calls: ["c"] });
    const c = resource("c", "LiveServerless", {});
    expect(calleesFirst([api, a, b, c]).map((r) => r.resourceName)).toEqual(["c", "api", "b", "a"]);
  });
});
