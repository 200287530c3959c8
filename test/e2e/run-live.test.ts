import { basename } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControlPlane } from "../../src/cloud/control-plane.ts";
import { connectControlPlane } from "../../src/cloud/control-plane.ts";
import { copyFixture, type FlashProcess, removeDir, request, runFlash, stopAll } from "../dev/cli-process.ts";

/**
 * `flash run --live` against `flash emulator` (RUNPOD_API_URL): live endpoints are created per
 * session and removed on SIGTERM, endpoints the session did not create survive, and a session
 * killed hard has its endpoints removed by the next one.
 */
describe("flash run --live against flash emulator", () => {
  let dir: string;
  let emulator: FlashProcess;
  let apiUrl: string;
  let cp: ControlPlane;
  const KEY = "test-key";

  beforeAll(async () => {
    dir = await copyFixture("run-single");
    emulator = runFlash(dir, ["emulator", "--port", "0"]);
    apiUrl = (await emulator.waitFor(/listening on (http:\/\/\S+)/, 30_000))[1] as string;
    cp = await connectControlPlane({ env: { RUNPOD_API_URL: apiUrl }, apiKey: KEY });
    await cp.saveEndpoint({
      name: "not-mine",
      template: {
        name: "not-mine",
        imageName: "runpod/flash-ts-worker-cpu:dev",
        containerDiskInGb: 10,
        env: [],
      },
      type: "QB",
      instanceIds: ["cpu3c-2-4"],
      workersMin: 0,
      workersMax: 1,
    });
  }, 90_000);
  afterAll(async () => {
    await stopAll();
    await removeDir(dir);
  });

  const names = async () => (await cp.listEndpoints()).map((e) => e.name).sort();
  /** The environments of the project's flash app (named after its folder, as deploy names it). */
  const environments = async () =>
    ((await cp.getFlashAppByName(basename(dir)))?.flashEnvironments ?? []).map((e) => e.name).sort();
  const env = () => ({ RUNPOD_API_URL: apiUrl, RUNPOD_API_KEY: KEY });

  it("provisions live-<name>-<session> on first call and removes only it and its environment on SIGINT", async () => {
    // Another environment of the app (a deploy's) must survive the session.
    const app = await cp.createFlashApp(basename(dir));
    await cp.createFlashEnvironment({ flashAppId: app.id, name: "production" });
    const flash = runFlash(dir, ["run", "--live", "--port", "0", "--no-reload"], env());
    const url = await flash.url(60_000);
    expect(flash.stdout).toContain(`QB functions execute on: the RunPod emulator at ${apiUrl}`);
    const res = await request(`${url}/gpu_worker/run_sync`, { json: { input: { name: "live" } } });
    expect(res.body).toMatchObject({ status: "COMPLETED", output: { greeting: "Hello, live!" } });
    const during = await names();
    const live = during.filter((n) => n.startsWith("live-gpu_worker-"));
    expect(live).toHaveLength(1);
    expect(during).toContain("not-mine");
    const session = live[0]!.slice("live-gpu_worker-".length);
    expect(await environments()).toEqual([`live-${session}`, "production"]);
    // The worker ran the template's start command on a public image: the runtime-only build's
    // runtime, unpacked in its own folder, not the CLI's.
    await emulator.waitFor(
      /runtime runpod-flash@\S+ \(build \w+\) from \S+\/workers\/\S+\/app\/node_modules\/runpod-flash/,
      10_000,
    );
    expect(await flash.stop(10_000, "SIGINT")).toBe(0);
    expect(flash.stdout).toContain(`Removed live endpoint ${live[0]}`);
    expect(flash.stdout).toContain(`Removed live environment live-${session}`);
    expect(await names()).toEqual(["not-mine"]);
    expect(await environments()).toEqual(["production"]);
  });

  it("removes the endpoints of a hard-killed session on the next run", async () => {
    const first = runFlash(dir, ["run", "--live", "--port", "0", "--no-reload"], env());
    const url = await first.url(60_000);
    await request(`${url}/gpu_worker/run_sync`, { json: { input: { name: "orphan" } } });
    const orphan = (await names()).filter((n) => n.startsWith("live-"));
    expect(orphan).toHaveLength(1);
    first.child.kill("SIGKILL");
    await first.exited;
    expect(await names()).toContain(orphan[0]);

    const second = runFlash(dir, ["run", "--live", "--port", "0", "--no-reload"], env());
    await second.url(60_000);
    // Orphans are removed as the session's target starts, just after the server listens.
    await second.waitFor(new RegExp(`Removed live endpoint ${orphan[0]} left by session`), 30_000);
    await second.waitFor(/Removed live environment live-\S+ left by session/, 30_000);
    expect(await names()).toEqual(["not-mine"]);
    expect(await environments()).toEqual(["production"]);
    expect(await second.stop()).toBe(0);
    expect(await names()).toEqual(["not-mine"]);
  });
});
