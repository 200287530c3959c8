import { afterAll, beforeAll, expect, test } from "vitest";
import { buildProject } from "../../src/build/build-project.ts";
import { type ControlPlane, connectControlPlane } from "../../src/cloud/control-plane.ts";
import { deploy } from "../../src/deploy/deploy.ts";
import { planUndeploy } from "../../src/deploy/undeploy.ts";
import { call, startEmulator, type TestEmulator } from "../emulator/helpers.ts";
import { makeProject } from "../helpers/project.ts";

// Two QB files that call each other: neither id is known when the first is created, so deploy
// creates both, then updates the first with the second's id (create-then-update). The calls then
// cross endpoints in both directions, and a function of the same file runs in-process.

const PING = `import { remote, CpuLiveServerless } from "runpod-flash";
import { pong } from "./pong";

const cpu = new CpuLiveServerless({ name: "ping" });

export const ping = remote(cpu, async (n: number): Promise<unknown> =>
  n <= 0 ? { end: process.env.FLASH_RESOURCE_NAME } : { at: process.env.FLASH_RESOURCE_NAME, next: await pong(n - 1) },
);

export const local = remote(cpu, async (n: number) => ({ local: process.env.FLASH_RESOURCE_NAME, n }));

export const viaLocal = remote(cpu, async (n: number) => local(n));
`;

const PONG = `import { remote, CpuLiveServerless } from "runpod-flash";
import { ping } from "./ping";

const cpu = new CpuLiveServerless({ name: "pong" });

export const pong = remote(cpu, async (n: number): Promise<unknown> =>
  n <= 0 ? { end: process.env.FLASH_RESOURCE_NAME } : { at: process.env.FLASH_RESOURCE_NAME, next: await ping(n - 1) },
);
`;

let emu: TestEmulator;
let cp: ControlPlane;

beforeAll(async () => {
  emu = await startEmulator();
  cp = await connectControlPlane({ env: { RUNPOD_API_URL: emu.url } });
});

afterAll(async () => {
  await emu?.close();
});

test("calls in a cycle: create-then-update, then calls cross both ways; same-resource calls stay in-process", async () => {
  const dir = makeProject({ "ping.ts": PING, "pong.ts": PONG });
  const build = await buildProject(dir);
  const lines: string[] = [];
  const result = await deploy({
    build,
    controlPlane: cp,
    environment: "production",
    env: {},
    progress: (l) => lines.push(l),
  });
  const ids = Object.fromEntries(result.endpoints.map((e) => [e.resourceName, e.id]));
  // One of the two was created before the other existed and was updated with its id.
  expect(lines.filter((l) => l.startsWith("Created endpoint"))).toHaveLength(2);
  expect(lines.filter((l) => /^Updated endpoint .*env\.FLASH_ENDPOINTS/.test(l))).toHaveLength(1);

  const r = await call(emu, "POST", `/v2/${ids.ping}/runsync`, { input: { function: "ping", input: 3 } });
  expect(r.json.output).toEqual({
    at: "ping",
    next: { at: "pong", next: { at: "ping", next: { end: "pong" } } },
  });
  const local = await call(emu, "POST", `/v2/${ids.ping}/runsync`, {
    input: { function: "viaLocal", input: 4 },
  });
  expect(local.json.output).toEqual({ local: "ping", n: 4 });

  const again = await deploy({
    build,
    controlPlane: cp,
    environment: "production",
    env: {},
    progress: () => {},
  });
  expect(again.unchanged).toBe(true);
  const plan = await planUndeploy({
    controlPlane: cp,
    appName: build.manifest.project_name,
    environment: "production",
  });
  expect(plan.endpoints.map((e) => e.id).sort()).toEqual([ids.ping, ids.pong].sort());
  await plan.apply();
  expect(await cp.listEndpoints()).toEqual([]);
  expect(await cp.listFlashApps()).toEqual([]);
});
