import runpodSdk from "runpod-sdk";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import type { EmulatedEndpoint } from "../../src/emulator/registry.ts";
import { addEndpoint, bundleFixture, live, startEmulator, type TestEmulator, until } from "./helpers.ts";

// RunPod's official JS client, unchanged, pointed at the emulator with its baseUrl option.
let emu: TestEmulator;
let ep: EmulatedEndpoint;
let parked: EmulatedEndpoint;
let bundle: Awaited<ReturnType<typeof bundleFixture>>;

beforeAll(async () => {
  emu = await startEmulator();
  ep = addEndpoint(emu, { workersMax: 1 });
  parked = addEndpoint(emu, { workersMax: 0 });
  bundle = await bundleFixture("emulator/functions.ts");
  // runSync prints progress with console.log; keep the test output clean.
  vi.spyOn(console, "log").mockImplementation(() => {});
});

afterAll(async () => {
  vi.restoreAllMocks();
  await emu.close();
});

function sdk() {
  return runpodSdk("any-key", { baseUrl: `${emu.url}/v2` });
}

describe("runpod-sdk against the emulator", () => {
  test("runSync", async () => {
    const endpoint = sdk().endpoint(ep.id)!;
    const result = (await endpoint.runSync({ input: live(bundle, "add", { a: 20, b: 22 }) })) as Record<
      string,
      unknown
    >;
    expect(result).toMatchObject({ status: "COMPLETED", output: 42, completed: true, succeeded: true });
  });

  test("run + status", async () => {
    const endpoint = sdk().endpoint(ep.id)!;
    const run = await endpoint.run({ input: live(bundle, "echo", { hello: "sdk" }) });
    expect(run).toMatchObject({ status: "IN_QUEUE" });
    const done = await until(async () => {
      const s = (await endpoint.status(run.id)) as Record<string, unknown>;
      return s.status === "COMPLETED" ? s : undefined;
    });
    expect(done.output).toMatchObject({ echoed: { hello: "sdk" } });
  });

  test("cancel", async () => {
    const endpoint = sdk().endpoint(ep.id)!;
    const run = await endpoint.run({ input: live(bundle, "sleeps", { ms: 60_000 }) });
    await until(async () => (await endpoint.status(run.id)).status === "IN_PROGRESS");
    const cancelled = await endpoint.cancel(run.id);
    expect(cancelled).toMatchObject({ id: run.id, status: "CANCELLED" });
  });

  test("stream", async () => {
    const endpoint = sdk().endpoint(ep.id)!;
    const run = await endpoint.run({ input: live(bundle, "counts", { n: 2 }) });
    const seen: unknown[] = [];
    for await (const chunk of endpoint.stream(run.id)) seen.push(chunk);
    expect(seen).toEqual([{ output: { i: 1 } }, { output: { i: 2 } }]);
  });

  test("health", async () => {
    const health = await sdk().endpoint(ep.id)!.health();
    expect(health.jobs.completed).toBeGreaterThanOrEqual(2);
    expect(health.workers).toMatchObject({ throttled: 0 });
    expect(typeof health.workers.idle).toBe("number");
  });

  test("purgeQueue", async () => {
    const endpoint = sdk().endpoint(parked.id)!;
    await endpoint.run({ input: { a: 1 } });
    await endpoint.run({ input: { a: 2 } });
    expect(await endpoint.purgeQueue()).toEqual({ removed: 2, status: "completed" });
    expect((await endpoint.health()).jobs.inQueue).toBe(0);
  });

  test("a failed job comes back FAILED with its error", async () => {
    const result = (await sdk()
      .endpoint(ep.id)!
      .runSync({ input: live(bundle, "fails", { message: "from the sdk" }) })) as Record<string, unknown>;
    expect(result).toMatchObject({ status: "FAILED", succeeded: false });
    expect(String(result.error)).toContain("from the sdk");
  });
});
