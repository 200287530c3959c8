import { afterEach, describe, expect, test } from "vitest";
import { installDeployedDispatcher } from "../../src/runtime/deployed-dispatcher.ts";
import { CpuLiveServerless } from "../../src/sdk/config.ts";
import { remote, setDispatcher } from "../../src/sdk/remote.ts";

// The dispatcher a deployed worker installs, without processes: which calls stay in-process and
// which need FLASH_ENDPOINTS. (Calls that do cross endpoints are exercised in cycle.test.ts and
// deploy-e2e.test.ts against the emulator.)

const RESOURCES = Symbol.for("runpod-flash.deployed.resources");
type G = typeof globalThis & { [RESOURCES]?: Map<string, unknown> };

const cfg = new CpuLiveServerless({ name: "x" });
const own = remote(cfg, async (input: { n: number }) => ({ n: input.n, at: "own" }));
const nothing = remote(cfg, async () => undefined);
const theirs = remote(cfg, async () => "must not run here");

afterEach(() => {
  setDispatcher(undefined);
  delete (globalThis as G)[RESOURCES];
});

function register() {
  (globalThis as G)[RESOURCES] = new Map<string, unknown>([
    ["mine", { module: { own, nothing }, functions: ["own", "nothing"] }],
    ["other", { module: { theirs }, functions: ["theirs"] }],
  ]);
}

describe("deployed dispatcher", () => {
  test("a function of this worker's resource runs in-process, through JSON", async () => {
    register();
    installDeployedDispatcher({ FLASH_RESOURCE_NAME: "mine", FLASH_ENDPOINTS: "{}" });
    expect(await own({ n: 3 })).toEqual({ n: 3, at: "own" });
    expect(await nothing(undefined)).toBeNull();
    await expect(own({ n: 1n } as never)).rejects.toThrow(/the input of own\(\) cannot be sent/);
  });

  test("a function of another resource needs its endpoint in FLASH_ENDPOINTS", async () => {
    register();
    installDeployedDispatcher({ FLASH_RESOURCE_NAME: "mine", FLASH_ENDPOINTS: '{"unrelated":"abc"}' });
    await expect(theirs(undefined)).rejects.toThrow(
      /theirs\(\) belongs to resource "other", which has no endpoint in FLASH_ENDPOINTS/,
    );
  });

  test("outside a deployed worker (no FLASH_RESOURCE_NAME) nothing is installed", async () => {
    installDeployedDispatcher({});
    expect(await theirs(undefined)).toBe("must not run here");
  });
});
