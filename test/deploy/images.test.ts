import { describe, expect, test } from "vitest";
import {
  CUDA_IMAGE,
  carriesNode,
  knownImage,
  NODE_IMAGE,
  usesStartCommand,
  workerImage,
} from "../../src/deploy/images.ts";
import { isFlashError } from "../../src/shared/errors.ts";

describe("worker images", () => {
  test("defaults: the official Node LTS image for CPU, NVIDIA's CUDA 12 + cuDNN runtime for GPU", () => {
    expect(workerImage("CpuLiveServerless", undefined, {})).toBe("node:24-bookworm-slim");
    expect(workerImage("CpuLiveLoadBalancer", undefined, {})).toBe(NODE_IMAGE);
    expect(workerImage("LiveServerless", undefined, {})).toBe("nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04");
    expect(workerImage("LiveLoadBalancer", undefined, {})).toBe(CUDA_IMAGE);
  });

  test("FLASH_IMAGE_* replaces a default and keeps the start command; imageName runs its own command", () => {
    expect(workerImage("LiveServerless", undefined, { FLASH_IMAGE_GPU: "me/gpu:1" })).toBe("me/gpu:1");
    expect(workerImage("CpuLiveLoadBalancer", undefined, { FLASH_IMAGE_LB_CPU: " me/lb:2 " })).toBe(
      "me/lb:2",
    );
    expect(usesStartCommand("LiveServerless", undefined)).toBe(true);
    expect(workerImage("ServerlessEndpoint", "ghcr.io/acme/vllm:1", { FLASH_IMAGE_GPU: "x" })).toBe(
      "ghcr.io/acme/vllm:1",
    );
    expect(usesStartCommand("ServerlessEndpoint", "ghcr.io/acme/vllm:1")).toBe(false);
  });

  test.each([
    ["node:24-bookworm-slim", { kind: "node", hasNode: true }],
    ["docker.io/library/node:22@sha256:0123", { kind: "node", hasNode: true }],
    ["library/node", { kind: "node", hasNode: true }],
    ["nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04", { kind: "cuda", hasNode: false }],
    ["nodejs/node:24", undefined],
    ["ghcr.io/acme/node:1", undefined],
  ])("knownImage(%s)", (image, facts) => {
    expect(knownImage(image)).toEqual(facts);
  });

  test("Node is carried for CUDA and unknown images, not for Node images; FLASH_CARRY_NODE decides when set", () => {
    expect(carriesNode([NODE_IMAGE], {})).toBe(false);
    expect(carriesNode([NODE_IMAGE, CUDA_IMAGE], {})).toBe(true);
    expect(carriesNode(["me/prebaked:1"], {})).toBe(true);
    expect(carriesNode(["me/prebaked:1"], { FLASH_CARRY_NODE: "0" })).toBe(false);
    expect(carriesNode([NODE_IMAGE], { FLASH_CARRY_NODE: "1" })).toBe(true);
    expect(carriesNode([CUDA_IMAGE], { FLASH_CARRY_NODE: "auto" })).toBe(true);
    let err: unknown;
    try {
      carriesNode([], { FLASH_CARRY_NODE: "yes" });
    } catch (e) {
      err = e;
    }
    expect(isFlashError(err, "CONFIG_INVALID")).toBe(true);
    expect((err as Error).message).toContain('FLASH_CARRY_NODE is "yes"');
  });
});
