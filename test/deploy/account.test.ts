import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { buildProject } from "../../src/build/build-project.ts";
import { type ControlPlane, connectControlPlane } from "../../src/cloud/control-plane.ts";
import { type DeployResult, deploy } from "../../src/deploy/deploy.ts";
import { planLiveUndeploy, planUndeploy } from "../../src/deploy/undeploy.ts";
import { isFlashError } from "../../src/shared/errors.ts";
import { startEmulator, type TestEmulator } from "../emulator/helpers.ts";
import { makeProject } from "../helpers/project.ts";

// How deploy and undeploy treat what else is on the account: name clashes, network volumes,
// endpoints whose file left the project, and live endpoints of dead `flash run` sessions.

let emu: TestEmulator;
let cp: ControlPlane;

beforeAll(async () => {
  emu = await startEmulator();
  cp = await connectControlPlane({ env: { RUNPOD_API_URL: emu.url } });
});

afterAll(async () => {
  await emu?.close();
});

beforeEach(async () => {
  for (const e of await cp.listEndpoints()) await cp.deleteEndpoint(e.id);
  for (const a of await cp.listFlashApps()) await cp.deleteFlashApp(a.id);
});

const worker = (
  name: string,
  extra = "",
) => `import { remote, CpuLiveServerless, NetworkVolume } from "runpod-flash";

const cpu = new CpuLiveServerless({ name: "${name}"${extra} });

export const f = remote(cpu, async (x: number) => x);
`;

async function deployDir(
  dir: string,
  environment = "production",
): Promise<DeployResult & { lines: string[] }> {
  const lines: string[] = [];
  const build = await buildProject(dir);
  const result = await deploy({
    build,
    controlPlane: cp,
    environment,
    env: {},
    progress: (l) => lines.push(l),
  });
  return { ...result, lines };
}

describe("deploy and the rest of the account", () => {
  test("refuses to take over an endpoint of the same name it did not deploy, before changing anything", async () => {
    await cp.saveEndpoint({
      name: "taken",
      template: { name: "taken-tpl", imageName: "runpod/flash:x", containerDiskInGb: 5, env: [] },
      gpuIds: "ANY",
    });
    const dir = makeProject({ "w.ts": worker("taken") });
    const err = await deployDir(dir).catch((e: unknown) => e);
    expect(isFlashError(err), String(err)).toBe(true);
    expect((err as Error).message).toMatch(/An endpoint named taken \(\w+\) already exists/);
    expect((await cp.listEndpoints()).map((e) => e.name)).toEqual(["taken"]);
    expect(await cp.listFlashApps()).toEqual([]);
    // With another environment the names differ and the deploy goes through.
    const staging = await deployDir(dir, "staging");
    expect(staging.endpoints.map((e) => e.endpointName)).toEqual(["taken-staging"]);
  });

  test("creates a network volume once, pins the endpoint to its data center, and reuses it", async () => {
    const dir = makeProject({
      "w.ts": worker(
        "vol",
        `, networkVolume: new NetworkVolume({ name: "models", size: 20, dataCenter: "EU-CZ-1" })`,
      ),
    });
    const first = await deployDir(dir);
    expect(first.lines).toContain("Created network volume models (20 GB in EU-CZ-1)");
    const volumes = await cp.listNetworkVolumes();
    expect(volumes).toHaveLength(1);
    const e = (await cp.listEndpoints())[0]!;
    expect(e).toMatchObject({ networkVolumeId: volumes[0]!.id, locations: "EU-CZ-1" });
    const second = await deployDir(dir);
    expect(second.unchanged).toBe(true);
    expect(await cp.listNetworkVolumes()).toHaveLength(1);
    // Undeploy keeps the volume: it holds data.
    const plan = await planUndeploy({ controlPlane: cp, appName: first.appName, environment: "production" });
    await plan.apply();
    expect(await cp.listNetworkVolumes()).toHaveLength(1);
  });

  test("an endpoint whose file left the project is removed on the next deploy", async () => {
    const dir = makeProject({ "a.ts": worker("a"), "b.ts": worker("b") });
    await deployDir(dir);
    rmSync(join(dir, "b.ts"));
    const next = await deployDir(dir);
    expect(next.removed.map((r) => r.name)).toEqual(["b"]);
    expect((await cp.listEndpoints()).map((e) => e.name)).toEqual(["a"]);
    expect((await cp.listTemplates()).map((t) => t.name)).not.toContain("flash-tpl-b");
  });

  test("endpoints another tool put in the same environment are neither removed by deploy nor by undeploy", async () => {
    const dir = makeProject({ "a.ts": worker("a") });
    const first = await deployDir(dir);
    const app = (await cp.getFlashAppByName(first.appName))!;
    const envId = app.flashEnvironments!.find((e) => e.name === "production")!.id;
    const intruder = await cp.saveEndpoint({
      name: "python-made",
      template: { name: "python-made-tpl", imageName: "runpod/flash:1", containerDiskInGb: 5, env: [] },
      gpuIds: "ANY",
      flashEnvironmentId: envId,
    });
    const again = await deployDir(dir);
    expect(again.removed).toEqual([]);
    const plan = await planUndeploy({ controlPlane: cp, appName: first.appName, environment: "production" });
    expect(plan.endpoints.map((e) => e.name)).toEqual(["a"]);
    expect(plan.notes.join("\n")).toContain("Keeping python-made");
    await plan.apply();
    expect((await cp.listEndpoints()).map((e) => e.id)).toEqual([intruder.id]);
    expect((await cp.getFlashAppByName(first.appName))?.flashEnvironments?.map((e) => e.name)).toEqual([
      "production",
    ]);
  });
});

describe("undeploy --live", () => {
  test("removes the endpoints of dead sessions on this account only, and forgets those sessions", async () => {
    const mk = async (name: string) =>
      cp.saveEndpoint({
        name,
        template: { name, imageName: "runpod/flash:x", containerDiskInGb: 5, env: [] },
        gpuIds: "ANY",
      });
    const dead = await mk("live-w-dead1");
    const running = await mk("live-w-alive1");
    const elsewhere = await mk("live-w-other1");
    const other = await mk("not-live");
    const deadPid = spawnSync(process.execPath, ["-e", "0"]).pid!;
    const session = (id: string, pid: number, graphqlUrl: string, e: { id: string; name: string }) => ({
      sessionId: id,
      pid,
      graphqlUrl,
      embedded: false,
      startedAt: new Date().toISOString(),
      endpoints: [{ id: e.id, name: e.name }],
    });
    const dir = makeProject({});
    mkdirSync(join(dir, ".flash"), { recursive: true });
    const file = join(dir, ".flash/live-session.json");
    writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        sessions: [
          session("dead1", deadPid, cp.urls.graphql, dead),
          session("alive1", process.pid, cp.urls.graphql, running),
          session("other1", deadPid, "https://api.runpod.io/graphql", elsewhere),
        ],
      }),
    );
    const plan = await planLiveUndeploy({ controlPlane: cp, root: dir });
    expect(plan.endpoints).toEqual([{ id: dead.id, name: dead.name }]);
    expect(plan.notes.join("\n")).toContain("Session alive1");
    await plan.apply();
    expect((await cp.listEndpoints()).map((e) => e.name).sort()).toEqual(
      [running.name, elsewhere.name, other.name].sort(),
    );
    const left = JSON.parse(readFileSync(file, "utf8")).sessions.map(
      (s: { sessionId: string }) => s.sessionId,
    );
    expect(left).toEqual(["alive1", "other1"]);
  });
});
