import { describe, expect, it } from "vitest";
import {
  CpuInstanceType,
  CpuLiveLoadBalancer,
  CpuLiveServerless,
  CpuServerlessEndpoint,
  DataCenter,
  GpuGroup,
  LiveLoadBalancer,
  LiveServerless,
  NetworkVolume,
  ServerlessEndpoint,
} from "../../src/sdk/index.ts";

describe("config classes", () => {
  it("apply RunPod's defaults", () => {
    expect(new LiveServerless().resolved).toEqual({
      resourceType: "LiveServerless",
      gpus: ["ANY"],
      gpuCount: 1,
      workersMin: 0,
      workersMax: 3,
      idleTimeout: 5,
      scalerType: "QUEUE_DELAY",
      scalerValue: 4,
      executionTimeoutMs: 600000,
      flashboot: true,
      env: {},
      containerDiskInGb: 64,
    });
    const lb = new CpuLiveLoadBalancer({ name: "api" });
    expect(lb.isLoadBalanced).toBe(true);
    expect(lb.name).toBe("api");
    expect(lb.resolved).toMatchObject({
      scalerType: "REQUEST_COUNT",
      instanceIds: ["cpu3g-2-8"],
      containerDiskInGb: 20,
    });
    expect(new LiveLoadBalancer().isLoadBalanced).toBe(true);
  });

  it("size CPU container disks to the smallest instance limit", () => {
    const c = new CpuLiveServerless({ instanceIds: [CpuInstanceType.CPU5C_4_8, CpuInstanceType.CPU3G_2_8] });
    expect(c.resolved.containerDiskInGb).toBe(20);
  });

  it.each([
    [
      () => new LiveServerless({ idleTimeout: 0 }),
      "LiveServerless: invalid idleTimeout 0; expected an integer from 1 to 3600.",
    ],
    [
      () => new LiveServerless({ idleTimeout: 1.5 }),
      "LiveServerless: invalid idleTimeout 1.5; expected an integer from 1 to 3600.",
    ],
    [
      () => new LiveServerless({ workersMin: 4, workersMax: 2 }),
      "LiveServerless: invalid workersMin 4; expected at most workersMax (2); raise workersMax or lower workersMin.",
    ],
    [
      () => new LiveServerless({ gpus: ["RTX9000" as never] }),
      'LiveServerless: invalid gpus "RTX9000"; expected values from: ANY, AMPERE_16, AMPERE_24, ADA_24, ADA_32_PRO, AMPERE_48, ADA_48_PRO, AMPERE_80, ADA_80_PRO, BLACKWELL_96, HOPPER_141, BLACKWELL_180, NVIDIA RTX A4000, NVIDIA RTX A4500, ....',
    ],
    [() => new LiveServerless({ gpus: [] }), "LiveServerless: invalid gpus []; expected a non-empty array."],
    [
      () => new CpuLiveServerless({ gpus: [GpuGroup.ANY] }),
      "CpuLiveServerless: gpus is not used by CPU endpoints; choose machines with instanceIds.",
    ],
    [
      () => new CpuLiveServerless({ instanceIds: [CpuInstanceType.CPU3C_1_2], containerDiskInGb: 50 }),
      "CpuLiveServerless: invalid containerDiskInGb 50; expected an integer from 1 to 10.",
    ],
    [
      () => new LiveServerless({ imageName: "me/img" }),
      "LiveServerless: imageName is not used by LiveServerless (it runs Flash's worker image); use ServerlessEndpoint to bring your own.",
    ],
    [
      () => new CpuLiveLoadBalancer({ scalerType: "QUEUE_DELAY" }),
      'CpuLiveLoadBalancer: invalid scalerType "QUEUE_DELAY"; expected "REQUEST_COUNT" (load-balanced endpoints scale by requests).',
    ],
    [
      () => new LiveServerless({ gpu: ["ANY"] } as never),
      'LiveServerless: unknown option "gpu" (did you mean `gpus`?); allowed options: name, gpus, gpuCount, instanceIds, workersMin, workersMax, idleTimeout, scalerType, scalerValue, executionTimeoutMs, flashboot, env, networkVolume, dataCenters, imageName, containerRegistryAuthId, containerDiskInGb.',
    ],
    [
      () => new LiveServerless({ name: "bad name!" }),
      `LiveServerless: invalid name "bad name!"; expected 1–64 letters, digits, '_', '-' or '.', starting with a letter or digit.`,
    ],
    [
      () => new LiveServerless({ env: { A: 1 as never } }),
      "LiveServerless: invalid env.A 1; expected a string.",
    ],
    [
      () =>
        new LiveServerless({
          networkVolume: new NetworkVolume({ name: "v", dataCenter: DataCenter.US_TX_3 }),
          dataCenters: [DataCenter.EU_RO_1],
        }),
      `LiveServerless: invalid dataCenters ["EU-RO-1"]; expected a list including the network volume's "US-TX-3".`,
    ],
  ])("reject bad values with field, value and what is allowed (%#)", (make, message) => {
    expect(make).toThrowError(message);
    try {
      make();
    } catch (err) {
      expect((err as { code: string }).code).toBe("CONFIG_INVALID");
    }
  });

  it("require an image for bring-your-own-image endpoints", () => {
    expect(() => new ServerlessEndpoint({} as never)).toThrowError(
      "ServerlessEndpoint: imageName is required (the container image to run).",
    );
    expect(new CpuServerlessEndpoint({ imageName: "me/worker:1" }).resolved.imageName).toBe("me/worker:1");
  });
});
