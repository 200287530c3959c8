import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { packArtifact } from "../../src/build/artifact.ts";
import { buildProject, filesUnder } from "../../src/build/build-project.ts";
import { NODE_IMAGE } from "../../src/deploy/images.ts";
import { START_COMMAND } from "../../src/deploy/start-command.ts";
import { parseCommand } from "../../src/emulator/command-line.ts";
import { launchOf } from "../../src/emulator/images.ts";
import { makeProject } from "../helpers/project.ts";
import { addEndpoint, alive, call, startEmulator, type TestEmulator, until } from "./helpers.ts";

// The emulator starts a deployed worker as RunPod would (SPEC section 6): the template's start
// command, in a fresh folder holding the artifact at RunPod's path, with RunPod's environment only.

const PROBE = `import { remote, CpuLiveServerless } from "runpod-flash";
import { createRequire } from "node:module";
const c = new CpuLiveServerless({ name: "probe" });
export const probe = remote(c, async () => ({
  cwd: process.cwd(),
  sdk: createRequire(import.meta.url).resolve("runpod-flash"),
  env: Object.keys(process.env).sort(),
  home: process.env.HOME,
}));
`;

let emu: TestEmulator;
let dir: string;
let artifact: string;

beforeAll(async () => {
  dir = makeProject({ "probe.ts": PROBE });
  const built = await buildProject(dir);
  // A runtime stamp the CLI does not have: the worker must report this one, from the artifact.
  const pkgFile = join(dir, ".flash/build/node_modules/runpod-flash/package.json");
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8"));
  writeFileSync(pkgFile, JSON.stringify({ ...pkg, version: "0.0.0-artifact-stamp" }));
  artifact = join(dir, "tampered.tar.gz");
  const stage = join(dir, ".flash/build");
  await packArtifact(stage, await filesUnder(stage), artifact);
  expect(built.runtime.version).not.toBe("0.0.0-artifact-stamp");
  emu = await startEmulator();
}, 120_000);

afterAll(async () => {
  const pids = emu.supervisor.pids();
  await emu.close();
  for (const pid of pids) expect(alive(pid)).toBe(false);
});

describe("a template on a public image with Flash's start command", () => {
  test("runs the artifact's runtime, in a fresh folder, with RunPod's environment only", async () => {
    const ep = addEndpoint(emu, {
      env: { FLASH_RESOURCE_NAME: "probe", FLASH_BUILD_ARTIFACT_PATH: artifact, MY_SETTING: "1" },
      image: { imageName: NODE_IMAGE, dockerArgs: START_COMMAND },
    });
    process.env.FLASH_TEST_CLI_ONLY = "leak";
    let r: Awaited<ReturnType<typeof call>>;
    try {
      r = await call(emu, "POST", `/v2/${ep.id}/runsync`, { input: {} });
    } finally {
      delete process.env.FLASH_TEST_CLI_ONLY;
    }
    expect(r.json.status, JSON.stringify(r.json)).toBe("COMPLETED");
    const out = r.json.output as { cwd: string; sdk: string; env: string[]; home: string };
    // The worker's own folder: <workDir>/workers/<id>/app, the SDK from the artifact unpacked there.
    expect(out.cwd).toMatch(/\/workers\/[^/]+$/);
    expect(out.sdk).toBe(join(out.cwd, "app/node_modules/runpod-flash/dist/index.js"));
    expect(out.home).toBe(join(out.cwd, "root"));
    expect(out.env).toContain("RUNPOD_WEBHOOK_GET_JOB");
    expect(out.env).toContain("RUNPOD_POD_ID");
    expect(out.env).toContain("MY_SETTING");
    expect(out.env).not.toContain("FLASH_TEST_CLI_ONLY");
    expect(out.env.filter((k) => k.startsWith("npm_") || k === "NODE_OPTIONS" || k === "VITEST")).toEqual([]);
    const stamp = await until(() => emu.logs.find((l) => l.includes("runtime runpod-flash@")));
    expect(stamp).toContain("runtime runpod-flash@0.0.0-artifact-stamp");
    expect(stamp).toContain(join(out.cwd, "app/node_modules/runpod-flash"));
  }, 60_000);

  test("a template on an image the emulator does not know gets no workers, and says why", async () => {
    const ep = addEndpoint(emu, {
      env: { FLASH_RESOURCE_NAME: "probe", FLASH_BUILD_ARTIFACT_PATH: artifact },
      image: { imageName: "ghcr.io/acme/private-worker:1", dockerArgs: START_COMMAND },
    });
    const run = await call(emu, "POST", `/v2/${ep.id}/run`, { input: {} });
    expect(run.status).toBe(200);
    const health = await call(emu, "GET", `/v2/${ep.id}/health`);
    expect(health.json.workers).toMatchObject({ running: 0 });
    await until(() => emu.logs.find((l) => l.includes("ghcr.io/acme/private-worker:1")));
    const status = await call(emu, "GET", `/v2/${ep.id}/status/${run.json.id}`);
    expect(status.json.status).toBe("IN_QUEUE");
  }, 30_000);
});

describe("the start command", () => {
  test("waits for an artifact that appears late, unpacks it once, and runs its runtime", async () => {
    const root = makeProject({});
    const late = join(root, "late.tar.gz");
    const app = join(root, "app");
    const argv = parseCommand(START_COMMAND);
    // The runtime is replaced by a script that says where it runs from: the command is the subject.
    const stage = join(root, "stage");
    mkdirSync(join(stage, "node_modules/runpod-flash/dist/runtime"), { recursive: true });
    writeFileSync(
      join(stage, "node_modules/runpod-flash/dist/runtime/worker.js"),
      "console.log('runtime at ' + process.argv[1] + ' app ' + process.env.FLASH_APP_DIR)",
    );
    setTimeout(() => {
      execFileSync("tar", ["czf", late, "-C", stage, "node_modules"]);
    }, 1500);
    const { stdout: out } = await promisify(execFile)(argv[0]!, argv.slice(1), {
      env: { PATH: process.env.PATH, FLASH_BUILD_ARTIFACT_PATH: late, FLASH_APP_DIR: app },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(out).toContain(`runtime at ${app}/node_modules/runpod-flash/dist/runtime/worker.js app ${app}`);
    expect(existsSync(join(app, ".flash-unpacked"))).toBe(true);
  });
});

describe("launchOf", () => {
  const cmd = START_COMMAND;
  test.each([
    ["node:24-bookworm-slim", "the", "start-command", true],
    ["docker.io/library/node:22@sha256:abc", "the", "start-command", true],
    ["nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04", "the", "start-command", false],
    ["runpod/flash:test", "no", "runtime", undefined],
    ["node:24", "no", "none", undefined],
    ["vllm/vllm-openai:latest", "the", "none", undefined],
  ])("%s with %s start command → %s", (imageName, which, kind, hasNode) => {
    const launch = launchOf({ imageName, dockerArgs: which === "the" ? cmd : "" }, new Set());
    expect(launch.kind).toBe(kind);
    if (launch.kind === "start-command") {
      expect(launch.hasNode).toBe(hasNode);
      expect(launch.argv[0]).toBe("sh");
    }
    if (launch.kind === "none") expect(launch.why).toContain(imageName);
  });

  test("an image a FLASH_IMAGE_* variable names runs its start command, with Node", () => {
    const launch = launchOf({ imageName: "me/prebaked:1", dockerArgs: cmd }, new Set(["me/prebaked:1"]));
    expect(launch).toMatchObject({ kind: "start-command", hasNode: true });
  });
});

describe("parseCommand", () => {
  test.each([
    [`sh -c 'echo "$A" b'`, ["sh", "-c", 'echo "$A" b']],
    [`a "b c" d\\ e`, ["a", "b c", "d e"]],
    [`  x   y  `, ["x", "y"]],
  ])("%s", (line, argv) => {
    expect(parseCommand(line)).toEqual(argv);
  });
  test("an unclosed quote is refused", () => {
    expect(() => parseCommand(`sh -c 'oops`)).toThrow(/quote/);
  });
});
