import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { type ControlPlane, connectControlPlane } from "../../src/cloud/control-plane.ts";
import { acquireFileLock } from "../../src/shared/file-lock.ts";
import { call, startEmulator, type TestEmulator, until } from "../emulator/helpers.ts";
import { makeProject } from "../helpers/project.ts";
import { type FlashRun, flash, start, stopAll } from "./helpers.ts";

// Issue 5, end to end: the real CLI deploys a QB file and an LB file that calls it to an emulator
// (real worker processes), redeploys, changes a field, survives a kill midway, and undeploys.
// The emulator accepts only KEY, and no output of any run may contain it.

const KEY = `rpa_${randomBytes(16).toString("hex")}`;

const COMPUTE = (workersMax: number) => `import { remote, CpuLiveServerless } from "runpod-flash";

const cpu = new CpuLiveServerless({
  name: "compute",
  workersMax: ${workersMax},
  idleTimeout: 30,
  env: { GREETING: process.env.GREETING },
});

export const double = remote(cpu, async (input: { n: number }) => ({
  doubled: input.n * 2,
  max: ${workersMax},
  by: process.env.FLASH_RESOURCE_NAME,
  greeting: process.env.GREETING,
}));
`;

const ROUTES = `import { remote, CpuLiveLoadBalancer } from "runpod-flash";
import { double } from "../workers/compute";

const api = new CpuLiveLoadBalancer({ name: "api_routes", workersMax: 1 });

export const compute = remote(api, { method: "POST", path: "/compute" }, async (body: { n: number }) => ({
  via: process.env.FLASH_RESOURCE_NAME,
  result: await double(body),
}));
`;

let emu: TestEmulator;
let cp: ControlPlane;
let dir: string;
let before: Snapshot;
const outputs: FlashRun[] = [];

interface Snapshot {
  endpoints: string[];
  templates: string[];
  apps: string[];
}

async function snapshot(): Promise<Snapshot> {
  const [endpoints, templates, apps] = await Promise.all([
    cp.listEndpoints(),
    cp.listTemplates(),
    cp.listFlashApps(),
  ]);
  return {
    endpoints: endpoints.map((e) => `${e.name}:${e.id}`).sort(),
    templates: templates.map((t) => t.name).sort(),
    apps: apps.map((a) => a.name).sort(),
  };
}

async function run(args: string[], env: NodeJS.ProcessEnv = {}, cwd = dir): Promise<FlashRun> {
  const r = await flash(args, { cwd, env: { RUNPOD_API_URL: emu.url, RUNPOD_API_KEY: KEY, ...env } });
  outputs.push(r);
  return r;
}

async function endpointNamed(name: string) {
  const found = (await cp.listEndpoints()).filter((e) => e.name === name);
  expect(found).toHaveLength(1);
  return found[0]!;
}

async function envOf(endpointName: string): Promise<Record<string, string>> {
  const e = await endpointNamed(endpointName);
  const t = await cp.getTemplate(e.templateId!);
  return Object.fromEntries((t?.env ?? []).map((v) => [v.key, v.value]));
}

beforeAll(async () => {
  emu = await startEmulator({ apiKey: KEY });
  cp = await connectControlPlane({ env: { RUNPOD_API_URL: emu.url }, apiKey: KEY });
  // Something on the account that is not ours: it must survive every deploy and undeploy.
  await cp.saveEndpoint({
    name: "someone-elses",
    template: {
      name: "someone-elses-template",
      imageName: "runpod/flash:other",
      containerDiskInGb: 5,
      env: [],
    },
    gpuIds: "AMPERE_16",
    workersMax: 1,
  });
  before = await snapshot();
  dir = makeProject({
    "workers/compute.ts": COMPUTE(2),
    "api/routes.ts": ROUTES,
    ".env": "GREETING=hello\n",
  });
});

afterEach(() => stopAll());

afterAll(async () => {
  stopAll();
  if (process.env.DUMP_LOGS) console.log(emu.logs.join("\n"));
  await emu?.close();
});

describe("flash deploy / undeploy against the emulator", () => {
  test("deploys one endpoint per file, with URLs and every field", async () => {
    const r = await run(["deploy"]);
    expect(r.code, r.stderr).toBe(0);
    const compute = await endpointNamed("compute");
    const api = await endpointNamed("api_routes");
    expect(r.stdout).toContain(`${emu.url}/v2/${compute.id}/run`);
    expect(r.stdout).toContain(`${emu.url}/lb/${api.id}/compute`);
    expect(r.stdout).toMatch(/2 created/);
    expect(compute).toMatchObject({
      type: "QB",
      instanceIds: ["cpu3g-2-8"],
      workersMin: 0,
      workersMax: 2,
      workersStandby: 0,
      idleTimeout: 30,
      scalerType: "QUEUE_DELAY",
      executionTimeoutMs: 600_000,
      flashBootType: "FLASHBOOT",
    });
    expect(api).toMatchObject({ type: "LB", scalerType: "REQUEST_COUNT", workersMax: 1 });
    const computeEnv = await envOf("compute");
    expect(computeEnv).toMatchObject({
      GREETING: "hello",
      FLASH_RESOURCE_NAME: "workers_compute",
      FLASH_MODULE_PATH: "workers.compute",
    });
    expect(computeEnv.FLASH_ENDPOINTS).toBeUndefined();
    const apiEnv = await envOf("api_routes");
    expect(JSON.parse(apiEnv.FLASH_ENDPOINTS!)).toEqual({ workers_compute: compute.id });
    expect(apiEnv.FLASH_ENDPOINT_TYPE).toBe("lb");
    // .env values reach an endpoint only where its config names them.
    expect(apiEnv.GREETING).toBeUndefined();
  });

  test("the QB endpoint answers plain input on /runsync and /run + /status", async () => {
    const compute = await endpointNamed("compute");
    const sync = await call(emu, "POST", `/v2/${compute.id}/runsync`, { input: { n: 21 } }, KEY);
    expect(sync.json).toMatchObject({
      status: "COMPLETED",
      output: { doubled: 42, max: 2, by: "workers_compute", greeting: "hello" },
    });
    const queued = await call(emu, "POST", `/v2/${compute.id}/run`, { input: { n: 5 } }, KEY);
    expect(queued.json.status).toBe("IN_QUEUE");
    const done = await until(async () => {
      const s = await call(emu, "GET", `/v2/${compute.id}/status/${queued.json.id}`, undefined, KEY);
      return s.json.status === "COMPLETED" ? s.json : undefined;
    });
    expect(done.output).toEqual({ doubled: 10, max: 2, by: "workers_compute", greeting: "hello" });
  });

  test("a deployed endpoint never runs code sent in a job: a __flash__ envelope is the function's input", async () => {
    const compute = await endpointNamed("compute");
    expect((await envOf("compute")).FLASH_LIVE).toBeUndefined();
    const marker = join(dir, "injected-code-ran");
    const code = `import { writeFileSync } from "node:fs";
export function double() { writeFileSync(${JSON.stringify(marker)}, "ran"); return process.env; }
`;
    const sha256 = createHash("sha256").update(code).digest("hex");
    const input = {
      __flash__: { v: 1, function: "double", file: "x.ts", bundle: { sha256, code } },
      input: { n: 1 },
      n: 4,
    };
    const r = await call(emu, "POST", `/v2/${compute.id}/runsync`, { input }, KEY);
    // The deployed function ran on the whole input, envelope included, as plain data.
    expect(r.json).toMatchObject({
      status: "COMPLETED",
      output: { doubled: 8, max: 2, by: "workers_compute", greeting: "hello" },
    });
    expect(r.text).not.toContain(KEY);
    expect(existsSync(marker)).toBe(false);
    const health = await call(emu, "GET", `/v2/${compute.id}/health`, undefined, KEY);
    expect(health.status).toBe(200);
  });

  test("the LB route returns a result computed by the deployed QB endpoint", async () => {
    const api = await endpointNamed("api_routes");
    const compute = await endpointNamed("compute");
    const jobsBefore = (await call(emu, "GET", `/v2/${compute.id}/health`, undefined, KEY)).json.jobs
      .completed;
    const r = await call(emu, "POST", `/lb/${api.id}/compute`, { n: 7 }, KEY);
    expect(r.status).toBe(200);
    // Run by the compute endpoint's worker (FLASH_RESOURCE_NAME there), not inside the LB worker.
    expect(r.json).toEqual({
      via: "api_routes",
      result: { doubled: 14, max: 2, by: "workers_compute", greeting: "hello" },
    });
    const jobsAfter = (await call(emu, "GET", `/v2/${compute.id}/health`, undefined, KEY)).json.jobs
      .completed;
    expect(jobsAfter).toBe(jobsBefore + 1);
  });

  test("a second deploy (from a clean checkout) changes nothing, says so, and keeps the same two endpoints", async () => {
    const ids = (await snapshot()).endpoints;
    // No local state: what was deployed is read from the account, as from another machine.
    rmSync(join(dir, ".flash"), { recursive: true, force: true });
    const r = await run(["deploy"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("No changes: 2 endpoints already up to date in production.");
    expect(r.stdout).toContain("Build unchanged");
    expect(r.stdout).not.toMatch(/Created|Updated|Uploading/);
    expect((await snapshot()).endpoints).toEqual(ids);
  });

  test("a changed config field and .env value reach the endpoint", async () => {
    const ids = (await snapshot()).endpoints;
    writeFileSync(join(dir, "workers/compute.ts"), COMPUTE(3));
    writeFileSync(join(dir, ".env"), "GREETING=bonjour\n");
    const r = await run(["deploy"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Updated endpoint compute \(\w+\): .*env\.GREETING.*workersMax/);
    expect((await endpointNamed("compute")).workersMax).toBe(3);
    expect((await envOf("compute")).GREETING).toBe("bonjour");
    expect((await snapshot()).endpoints).toEqual(ids);
    // The running workers are replaced: the next job runs the new code with the new env.
    const compute = await endpointNamed("compute");
    const out = await call(emu, "POST", `/v2/${compute.id}/runsync`, { input: { n: 1 } }, KEY);
    expect(out.json.output).toEqual({ doubled: 2, max: 3, by: "workers_compute", greeting: "bonjour" });
  });

  test("with FLASH_DEBUG=1 requests are logged, the key is not", async () => {
    const r = await run(["deploy"], { FLASH_DEBUG: "1" });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("[debug] listEndpoints -> HTTP 200");
    expect(r.stdout).toContain("No changes");
  });

  test("a deploy killed after its first endpoint converges when run again", async () => {
    const child = start(["deploy", "--env", "kill"], {
      cwd: dir,
      env: { RUNPOD_API_URL: emu.url, RUNPOD_API_KEY: KEY },
    });
    let seen = "";
    await new Promise<void>((resolve) => {
      child.stdout!.on("data", (d) => {
        seen += d;
        if (/Created endpoint/.test(seen) && !child.killed) {
          child.kill("SIGKILL");
          resolve();
        }
      });
      child.on("close", () => resolve());
    });
    if (child.exitCode === null && child.signalCode === null)
      await new Promise((r) => child.once("close", r));
    outputs.push({ code: null, stdout: seen, stderr: "" });
    expect(seen).toContain("Created endpoint compute-kill");
    const half = (await cp.listEndpoints()).filter((e) => e.name.endsWith("-kill"));
    expect(half.length).toBeGreaterThanOrEqual(1);

    const again = await run(["deploy", "--env", "kill"]);
    expect(again.code, again.stderr).toBe(0);
    const compute = await endpointNamed("compute-kill");
    const api = await endpointNamed("api_routes-kill");
    expect(half.map((e) => e.id)).toContain(compute.id);
    expect(JSON.parse((await envOf("api_routes-kill")).FLASH_ENDPOINTS!)).toEqual({
      workers_compute: compute.id,
    });
    const r = await call(emu, "POST", `/lb/${api.id}/compute`, { n: 1 }, KEY);
    expect(r.json).toEqual({
      via: "api_routes",
      result: { doubled: 2, max: 3, by: "workers_compute", greeting: "bonjour" },
    });

    const third = await run(["deploy", "--env", "kill"]);
    expect(third.stdout).toContain("No changes: 2 endpoints already up to date in kill.");
  });

  test("two concurrent deploys of one project take turns: both end well, saying they waited, and no endpoint is doubled", async () => {
    // The test holds the project's build lock first, so both deploys surely meet a holder.
    const release = await acquireFileLock(join(dir, ".flash", "build.lock"));
    const env = { RUNPOD_API_URL: emu.url, RUNPOD_API_KEY: KEY };
    const runs = [0, 1].map(() => {
      const child = start(["deploy", "--env", "twin"], { cwd: dir, env });
      const r = { child, stdout: "", stderr: "" };
      child.stdout!.on("data", (d) => {
        r.stdout += d;
      });
      child.stderr!.on("data", (d) => {
        r.stderr += d;
      });
      return { r, code: new Promise<number | null>((resolve) => child.once("close", resolve)) };
    });
    const waiting = `Another flash build or deploy (pid ${process.pid}) is using ${dir}/.flash; waiting for it to finish...`;
    await until(() => runs.every(({ r }) => r.stdout.includes(waiting)));
    expect(runs.every(({ r }) => !r.stdout.includes("Building"))).toBe(true);
    await release();
    const codes = await Promise.all(runs.map((x) => x.code));
    for (const { r } of runs) outputs.push({ code: 0, stdout: r.stdout, stderr: r.stderr });
    expect(codes, runs.map(({ r }) => r.stderr).join("\n")).toEqual([0, 0]);
    const summaries = runs.map(({ r }) => r.stdout);
    expect(summaries.filter((o) => o.includes("2 created"))).toHaveLength(1);
    expect(
      summaries.filter((o) => o.includes("No changes: 2 endpoints already up to date in twin.")),
    ).toHaveLength(1);
    const api = await endpointNamed("api_routes-twin");
    await endpointNamed("compute-twin");
    const r = await call(emu, "POST", `/lb/${api.id}/compute`, { n: 4 }, KEY);
    expect(r.json.result).toMatchObject({ doubled: 8, by: "workers_compute" });
    expect((await run(["undeploy", "--env", "twin", "--yes"])).code).toBe(0);
  });

  test("undeploy removes what deploy created and nothing else", async () => {
    const kill = await run(["undeploy", "--env", "kill", "--yes"]);
    expect(kill.code, kill.stderr).toBe(0);
    expect(kill.stdout).toContain("Removed endpoint compute-kill");
    expect((await snapshot()).endpoints.some((e) => e.includes("-kill"))).toBe(false);
    const prod = await run(["undeploy"]); // stdin is not a terminal: no question asked
    expect(prod.code, prod.stderr).toBe(0);
    expect(prod.stdout).toContain("Removed endpoint api_routes");
    expect(await snapshot()).toEqual(before);
    const nothing = await run(["undeploy", "--yes"]);
    expect(nothing.stdout).toContain("Nothing deployed");
  });

  test("a QB-only project deploys without LB parts", async () => {
    const solo = makeProject({ "solo_worker.ts": COMPUTE(1).replace('name: "compute"', 'name: "solo"') });
    writeFileSync(join(solo, ".env"), "GREETING=hi\n");
    const r = await run(["deploy"], {}, solo);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain("/lb/");
    const e = await endpointNamed("solo");
    const out = await call(emu, "POST", `/v2/${e.id}/runsync`, { input: { n: 2 } }, KEY);
    expect(out.json.output).toMatchObject({ doubled: 4, by: "solo_worker" });
    expect((await run(["undeploy", "--yes"], {}, solo)).code).toBe(0);
    expect(await snapshot()).toEqual(before);
  });

  test("a config env value that is not set fails before any change, naming it and the config's line", async () => {
    const bad = makeProject({
      "needs_token.ts": `import { remote, CpuLiveServerless } from "runpod-flash";

const cpu = new CpuLiveServerless({ env: { TOKEN: process.env.FLASH_TEST_MISSING_TOKEN } });

export const f = remote(cpu, async () => 1);
`,
    });
    const r = await run(["deploy"], {}, bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("needs_token.ts:3: env.TOKEN needs FLASH_TEST_MISSING_TOKEN");
    expect(await snapshot()).toEqual(before);
  });

  test("a config env naming FLASH_LIVE (the live endpoints' marker) is refused before any change", async () => {
    const bad = makeProject({
      "sneaky.ts": `import { remote, CpuLiveServerless } from "runpod-flash";

const cpu = new CpuLiveServerless({ env: { FLASH_LIVE: "1" } });

export const f = remote(cpu, async () => 1);
`,
    });
    const r = await run(["deploy"], {}, bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("sneaky.ts:3: env.FLASH_LIVE is reserved for the live endpoints of flash run");
    expect(r.stderr).toContain("Remove FLASH_LIVE from the config's env");
    expect(await snapshot()).toEqual(before);
  });

  test("a rejected key explains how to set one, without printing either key", async () => {
    const wrong = `rpa_${randomBytes(16).toString("hex")}`;
    const r = await run(["deploy"], { RUNPOD_API_KEY: wrong, FLASH_DEBUG: "1" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("rejected the API key (HTTP 401)");
    expect(r.stderr).toContain("RUNPOD_API_KEY");
    expect(r.stderr).toContain("flash login");
    expect(r.stdout + r.stderr).not.toContain(wrong);
    expect(await snapshot()).toEqual(before);
  });

  test("no output of any run contained the key", () => {
    expect(outputs.length).toBeGreaterThan(8);
    for (const o of outputs) expect(o.stdout + o.stderr).not.toContain(KEY);
  });
});

describe("flash login", () => {
  test("stores the key from stdin in ~/.runpod/config.toml with mode 0600, without echoing it", async () => {
    const home = makeProject({});
    const r = await flash(["login"], {
      cwd: home,
      env: { HOME: home, RUNPOD_API_URL: emu.url },
      stdin: `${KEY}\n`,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(KEY);
    const path = join(home, ".runpod", "config.toml");
    const { statSync } = await import("node:fs");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, "utf8")).toContain(KEY);
    // The stored key is what deploy then uses (no RUNPOD_API_KEY set).
    const proj = makeProject({ "w.ts": COMPUTE(1).replace('name: "compute"', 'name: "logged_in"') });
    writeFileSync(join(proj, ".env"), "GREETING=x\n");
    const d = await flash(["deploy"], { cwd: proj, env: { HOME: home, RUNPOD_API_URL: emu.url } });
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout + d.stderr).not.toContain(KEY);
    expect(
      (await flash(["undeploy", "--yes"], { cwd: proj, env: { HOME: home, RUNPOD_API_URL: emu.url } })).code,
    ).toBe(0);
  });

  test("without any key, deploy to RunPod stops before building, saying how to set one", async () => {
    const home = makeProject({});
    const proj = makeProject({ "w.ts": COMPUTE(1) });
    const r = await flash(["deploy"], { cwd: proj, env: { HOME: home } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: No RunPod API key found.");
    expect(r.stderr).toContain("flash login");
    expect(r.stdout).not.toContain("Building");
    const { existsSync } = await import("node:fs");
    expect(existsSync(join(proj, ".flash"))).toBe(false);
  });

  test("a key the control plane rejects is not saved", async () => {
    const home = makeProject({});
    const wrong = `rpa_${randomBytes(8).toString("hex")}`;
    const r = await flash(["login"], {
      cwd: home,
      env: { HOME: home, RUNPOD_API_URL: emu.url },
      stdin: wrong,
    });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).not.toContain(wrong);
    const { existsSync } = await import("node:fs");
    expect(existsSync(join(home, ".runpod", "config.toml"))).toBe(false);
  });
});
