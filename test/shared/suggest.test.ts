import { describe, expect, it } from "vitest";
import { closestName } from "../../src/shared/suggest.ts";

const OPTIONS = ["name", "gpus", "gpuCount", "workersMin", "workersMax", "idleTimeout", "env"];

describe("closestName", () => {
  it("finds the option a typo meant: a missing letter, a swap, another case, an underscore", () => {
    expect(closestName("workerMax", OPTIONS)).toBe("workersMax");
    expect(closestName("wrokersMax", OPTIONS)).toBe("workersMax");
    expect(closestName("workersmin", OPTIONS)).toBe("workersMin");
    expect(closestName("idle_timeout", OPTIONS)).toBe("idleTimeout");
    expect(closestName("gpu", OPTIONS)).toBe("gpus");
  });

  it("suggests nothing for a word that is not close to any", () => {
    expect(closestName("replicas", OPTIONS)).toBeUndefined();
    expect(closestName("foo", OPTIONS)).toBeUndefined();
    expect(closestName("timeout", OPTIONS)).toBeUndefined();
  });
});
