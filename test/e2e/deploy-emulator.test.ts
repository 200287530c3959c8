import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CARRIED_NODE_VERSION } from "../../src/build/carried-node.ts";
import { FLASH_BIN, runCommand, runFlash } from "../helpers/cli.ts";
import { makeProject } from "../helpers/project.ts";

// `flash deploy` to `flash emulator`, both real CLI processes, in a network namespace with only a
// loopback (SPEC sections 6 and 8): the workers start from the templates' start command on public
// images, from the artifact alone, with no network and no node_modules but the artifact's.

const COMPILE = `import { remote, CpuLiveServerless } from "runpod-flash";
import { transformSync } from "esbuild";

const cpu = new CpuLiveServerless({ name: "compile", workersMax: 1 });

/** esbuild: a native binary that ships as the optional dependency @esbuild/linux-x64. */
export const compile = remote(cpu, { dependencies: ["esbuild@0.28.2"] }, async (input: { code: string }) => ({
  js: transformSync(input.code, { loader: "ts" }).code,
  cwd: process.cwd(),
}));

/** A package only in the project's node_modules, imported by a name bundling cannot see. */
export const leftOut = remote(cpu, async () => {
  const name = ["left", "out", "pkg"].join("-");
  return (await import(name)).value;
});
`;

const GPU = `import { remote, LiveServerless } from "runpod-flash";

const gpu = new LiveServerless({ name: "gpu_probe", workersMax: 1 });

export const probe = remote(gpu, async () => ({
  node: process.version,
  execPath: process.execPath,
  env: Object.keys(process.env).sort(),
  online: await fetch("https://registry.npmjs.org/").then(() => true, (e) => String(e.cause?.code ?? e)),
}));
`;

const API = `import { remote, CpuLiveLoadBalancer } from "runpod-flash";
import { compile } from "../workers/compile";

const api = new CpuLiveLoadBalancer({ name: "api", workersMax: 1 });

export const build = remote(api, { method: "POST", path: "/compile" }, async (body: { code: string }) => {
  const out = await compile(body);
  return { via: "lb", js: out.js };
});
`;

/** The emulator's environment: the test's, plus a variable a worker must not see. */
function emulatorEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, FLASH_E2E_CLI_ONLY: "1" };
  delete env.RUNPOD_API_KEY;
  return env;
}

/** Root, with unshare and nsenter: what the no-network namespace needs. */
const canIsolate = (() => {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync("unshare", ["-n", "sh", "-c", "ip link set lo up"], { stdio: "ignore" });
    execFileSync("nsenter", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

let emulator: ChildProcess | undefined;
let origin = "";
let dir = "";
const ids = new Map<string, string>();

/** Runs argv inside the emulator's network namespace and returns what it printed. */
function inNet(argv: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000) {
  return runCommand("nsenter", [`--net=/proc/${emulator!.pid}/ns/net`, ...argv], {
    env: { ...process.env, RUNPOD_API_KEY: "e2e-key", RUNPOD_API_URL: origin, ...env },
    timeoutMs,
  });
}

/** An HTTP request made from inside the namespace (the only place the emulator can be reached). */
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response fields
async function request(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const script = `const r = await fetch(process.env.U, { method: process.env.M, headers: { authorization: "Bearer e2e-key", "content-type": "application/json" }, body: process.env.B || undefined });
process.stdout.write(JSON.stringify({ status: r.status, text: await r.text() }));`;
  const r = await inNet([process.execPath, "--input-type=module", "-e", script], {
    U: `${origin}${path}`,
    M: method,
    B: body === undefined ? "" : JSON.stringify(body),
  });
  expect(r.code, r.stderr).toBe(0);
  const { status, text } = JSON.parse(r.stdout) as { status: number; text: string };
  return { status, json: JSON.parse(text) };
}

describe.skipIf(!canIsolate)("flash deploy to flash emulator with no network", () => {
  beforeAll(async () => {
    dir = makeProject({
      "workers/compile.ts": COMPILE,
      "workers/gpu.ts": GPU,
      "api/routes.ts": API,
      "node_modules/left-out-pkg/package.json": JSON.stringify({
        name: "left-out-pkg",
        version: "1.0.0",
        main: "index.js",
      }),
      "node_modules/left-out-pkg/index.js": "exports.value = 'FROM_THE_PROJECT';\n",
    });
    // Outside the namespace first: the npm install for linux x64 and the carried Node are cached,
    // so the deploy inside it needs no network, as a second deploy on a developer's machine.
    const warm = await runFlash(["build", dir], { timeoutMs: 180_000 });
    expect(warm.code, warm.stderr).toBe(0);

    emulator = spawn(
      "unshare",
      [
        "-n",
        "sh",
        "-c",
        'ip link set lo up && exec "$0" "$1" emulator --port 0',
        process.execPath,
        FLASH_BIN,
      ],
      { stdio: ["ignore", "pipe", "pipe"], env: emulatorEnv() },
    );
    let out = "";
    emulator.stderr!.on("data", (c) => {
      out += c;
    });
    origin = await new Promise<string>((resolve, reject) => {
      emulator!.stdout!.on("data", (c) => {
        out += c;
        const m = /export RUNPOD_API_URL=(\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      emulator!.once("exit", (code) => reject(new Error(`flash emulator exited with ${code}: ${out}`)));
    });

    const deployed = await inNet([process.execPath, FLASH_BIN, "deploy", dir], {}, 180_000);
    expect(deployed.code, deployed.stdout + deployed.stderr).toBe(0);
    for (const line of deployed.stdout.split("\n")) {
      const cells = line.trim().split(/\s{2,}/);
      if (["workers_compile", "workers_gpu", "api_routes"].includes(cells[0]!)) ids.set(cells[0]!, cells[3]!);
    }
    expect([...ids.keys()].sort()).toEqual(["api_routes", "workers_compile", "workers_gpu"]);
  }, 300_000);

  afterAll(async () => {
    if (emulator && emulator.exitCode === null) {
      const exited = new Promise((r) => emulator!.once("exit", r));
      emulator.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (emulator.exitCode === null) emulator.kill("SIGKILL");
    }
  });

  test("a QB job runs a native npm dependency installed into the artifact for linux x64", async () => {
    const r = await request("POST", `/v2/${ids.get("workers_compile")}/runsync`, {
      input: { function: "compile", input: { code: "let a: number = 1" } },
    });
    expect(r.json.status, JSON.stringify(r.json)).toBe("COMPLETED");
    expect(r.json.output.js).toBe("let a = 1;\n");
    // The worker's own folder under the emulator's, not the project or the repository.
    expect(r.json.output.cwd).toMatch(/\/flash-emulator-[^/]+\/workers\/[^/]+$/);
  }, 120_000);

  test("a package left out of the artifact fails its job naming it, not resolved from elsewhere", async () => {
    const r = await request("POST", `/v2/${ids.get("workers_compile")}/runsync`, {
      input: { function: "leftOut", input: {} },
    });
    expect(r.json.status, JSON.stringify(r.json)).toBe("FAILED");
    expect(r.json.error).toContain("left-out-pkg");
    expect(r.json.error).not.toContain("FROM_THE_PROJECT");
  }, 120_000);

  test("a GPU worker on the CUDA image runs the Node the artifact carries, with RunPod's environment only", async () => {
    const r = await request("POST", `/v2/${ids.get("workers_gpu")}/runsync`, { input: {} });
    expect(r.json.status, JSON.stringify(r.json)).toBe("COMPLETED");
    const out = r.json.output as { node: string; execPath: string; env: string[]; online: unknown };
    expect(out.node).toBe(`v${CARRIED_NODE_VERSION}`);
    expect(out.execPath).toMatch(/\/workers\/[^/]+\/app\/node\/bin\/node$/);
    expect(out.online).not.toBe(true);
    expect(out.env).toContain("RUNPOD_WEBHOOK_GET_JOB");
    expect(out.env).toContain("FLASH_RESOURCE_NAME");
    expect(out.env).not.toContain("FLASH_E2E_CLI_ONLY");
    expect(out.env.filter((k) => k.startsWith("npm_") || k.startsWith("VITEST"))).toEqual([]);
  }, 120_000);

  test("an LB route calls the QB endpoint it depends on", async () => {
    const r = await request("POST", `/lb/${ids.get("api_routes")}/compile`, {
      code: "const x: string = 'y'",
    });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json).toEqual({ via: "lb", js: 'const x = "y";\n' });
  }, 120_000);
});
