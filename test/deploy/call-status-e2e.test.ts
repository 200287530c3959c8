import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { type ControlPlane, connectControlPlane } from "../../src/cloud/control-plane.ts";
import { startEmulator, type TestEmulator } from "../emulator/helpers.ts";
import { makeProject } from "../helpers/project.ts";
import { type FlashRun, flash, stopAll } from "./helpers.ts";

// Issue 16 item 3, end to end: `flash deploy` prints a curl per endpoint that, pasted into a shell
// (the real curl binary, RUNPOD_API_KEY set), calls the deployed endpoint on the emulator; and
// `flash status` lists what is deployed with its URL, workers and queue.

const KEY = `rpa_${randomBytes(16).toString("hex")}`;

const ONE = `import { remote, CpuLiveServerless } from "runpod-flash";

const cpu = new CpuLiveServerless({ name: "one_fn", workersMax: 2, idleTimeout: 120 });

export const greet = remote(cpu, async (input: { who?: string }) => ({ hello: input.who ?? "world" }));
`;

const MULTI = `import { remote, CpuLiveServerless } from "runpod-flash";

const cpu = new CpuLiveServerless({ name: "multi_fn", idleTimeout: 120 });

export const first = remote(cpu, async (input: object) => ({ ran: "first", keys: Object.keys(input) }));
export const second = remote(cpu, async () => ({ ran: "second" }));
`;

const API = `import { remote, CpuLiveLoadBalancer } from "runpod-flash";

const api = new CpuLiveLoadBalancer({ name: "api_fn", workersMax: 1 });

export const item = remote(api, { method: "GET", path: "/items/{id}" }, async () => ({ route: "item" }));
export const echo = remote(api, { method: "POST", path: "/echo" }, async (body: object) => ({ route: "echo", body }));
`;

let emu: TestEmulator;
let cp: ControlPlane;
let dir: string;
let deployed: FlashRun;
const outputs: FlashRun[] = [];

async function run(args: string[], cwd = dir, env: NodeJS.ProcessEnv = {}): Promise<FlashRun> {
  const r = await flash(args, { cwd, env: { RUNPOD_API_URL: emu.url, RUNPOD_API_KEY: KEY, ...env } });
  outputs.push(r);
  return r;
}

/** The curl line printed under `# <endpoint> (<type>)`. */
function curlFor(stdout: string, endpoint: string): string {
  const lines = stdout.split("\n");
  const at = lines.findIndex((l) => l.trim().startsWith(`# ${endpoint} (`));
  expect(at, stdout).toBeGreaterThanOrEqual(0);
  return lines[at + 1]!.trim();
}

/** Runs a pasted line in sh, as a user would, with only PATH and the key variable set. */
function paste(line: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(
      "sh",
      ["-c", line],
      { env: { PATH: process.env.PATH, RUNPOD_API_KEY: KEY }, timeout: 120_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${line}\n${stderr}\n${err.message}`));
        else resolve(JSON.parse(stdout));
      },
    );
  });
}

async function idOf(name: string): Promise<string> {
  const found = (await cp.listEndpoints()).filter((e) => e.name === name);
  expect(found).toHaveLength(1);
  return found[0]!.id;
}

beforeAll(async () => {
  emu = await startEmulator({ apiKey: KEY });
  cp = await connectControlPlane({ env: { RUNPOD_API_URL: emu.url }, apiKey: KEY });
  dir = makeProject({ "one.ts": ONE, "multi.ts": MULTI, "api.ts": API });
  deployed = await run(["deploy"]);
});

afterEach(() => stopAll());

afterAll(async () => {
  stopAll();
  await emu?.close();
});

describe("calling what flash deploy made", () => {
  test("the deploy prints one curl per endpoint, with the key as $RUNPOD_API_KEY and runsync for QB", async () => {
    expect(deployed.code, deployed.stderr).toBe(0);
    const one = await idOf("one_fn");
    const api = await idOf("api_fn");
    expect(curlFor(deployed.stdout, "one_fn")).toBe(
      `curl -s '${emu.url}/v2/${one}/runsync' -H "Authorization: Bearer $RUNPOD_API_KEY" -H 'Content-Type: application/json' -d '{"input":{}}'`,
    );
    // LB: the route without path parameters, with its method.
    expect(curlFor(deployed.stdout, "api_fn")).toBe(
      `curl -s '${emu.url}/lb/${api}/echo' -H "Authorization: Bearer $RUNPOD_API_KEY" -H 'Content-Type: application/json' -d '{}'`,
    );
  });

  test("the one-function curl, pasted into a shell, answers COMPLETED with the function's output", async () => {
    const answer = await paste(curlFor(deployed.stdout, "one_fn"));
    expect(answer).toMatchObject({ status: "COMPLETED", output: { hello: "world" } });
  });

  test("the multi-function curl selects a function in its input and answers COMPLETED", async () => {
    const line = curlFor(deployed.stdout, "multi_fn");
    expect(line).toContain(`-d '{"input":{"function":"first","input":{}}}'`);
    const answer = await paste(line);
    expect(answer).toMatchObject({ status: "COMPLETED", output: { ran: "first", keys: [] } });
  });

  test("the LB curl calls its route", async () => {
    const answer = await paste(curlFor(deployed.stdout, "api_fn"));
    expect(answer).toEqual({ route: "echo", body: {} });
  });
});

describe("flash status", () => {
  test("lists each endpoint with its URL, worker bounds, workers and queue", async () => {
    // After the calls above, each QB endpoint has one idle worker (idleTimeout 120 s) and an empty queue.
    await paste(curlFor(deployed.stdout, "one_fn"));
    const r = await run(["status"]);
    expect(r.code, r.stderr).toBe(0);
    const [one, multi, api] = await Promise.all([idOf("one_fn"), idOf("multi_fn"), idOf("api_fn")]);
    expect(r.stdout).toContain(`/production on the emulator at ${emu.url}`);
    expect(r.stdout).toMatch(
      /Endpoint\s+Type\s+Id\s+Workers min\/max\s+Running\s+Idle\s+In queue\s+In progress\s+URL/,
    );
    const row = (name: string) => r.stdout.split("\n").find((l) => l.trim().startsWith(`${name} `)) ?? "";
    expect(row("one_fn").trim().split(/\s+/)).toEqual([
      "one_fn",
      "QB",
      one,
      "0/2",
      "0",
      "1",
      "0",
      "0",
      `${emu.url}/v2/${one}/run`,
    ]);
    expect(row("multi_fn").trim().split(/\s+/)).toEqual([
      "multi_fn",
      "QB",
      multi,
      "0/3",
      "0",
      "1",
      "0",
      "0",
      `${emu.url}/v2/${multi}/run`,
    ]);
    // LB endpoints have no queue: their counters are "-".
    expect(row("api_fn").trim().split(/\s+/)).toEqual([
      "api_fn",
      "LB",
      api,
      "0/1",
      "-",
      "-",
      "-",
      "-",
      `${emu.url}/lb/${api}`,
    ]);
  });

  test("an environment that was never deployed is an error naming the ones there are", async () => {
    const r = await run(["status", "--env", "staging"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("has no environment staging (it has: production).");
    expect(r.stderr).toContain("Run `flash deploy --env staging` in the project folder first.");
  });

  test("a project that was never deployed is an error saying to deploy it", async () => {
    const other = makeProject({ "one.ts": ONE });
    const r = await run(["status"], other);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /error: flash-test-\w+ is not deployed: no flash app of that name on this account\./,
    );
    expect(r.stderr).toContain("Run `flash deploy` in the project folder first.");
    expect(r.stdout).toBe("");
  });

  test("without an API key (on RunPod) it says how to set one", async () => {
    const home = makeProject({});
    const r = await flash(["status"], { cwd: dir, env: { HOME: home } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("No RunPod API key found.");
    expect(r.stderr).toContain("flash login");
  });

  test("no output contained the key", () => {
    expect(outputs.length).toBeGreaterThan(3);
    for (const o of outputs) expect(o.stdout + o.stderr).not.toContain(KEY);
  });
});
