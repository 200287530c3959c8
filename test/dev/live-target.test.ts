import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ControlPlane } from "../../src/cloud/control-plane.ts";
import type { QueueClient } from "../../src/cloud/queue-client.ts";
import type { QbJob } from "../../src/dev/execution.ts";
import { readLiveSessions, writeLiveSessions } from "../../src/dev/live-session.ts";
import { LiveTarget } from "../../src/dev/live-target.ts";
import type { EndpointInput } from "../../src/shared/schemas/control-plane.ts";
import { resource } from "./fake-scan.ts";

const GRAPHQL = "http://127.0.0.1:1/graphql";

/** A control plane that records calls and keeps endpoints in a map. */
function fakeControlPlane() {
  const endpoints = new Map<string, string>();
  const saved: EndpointInput[] = [];
  const deleted: string[] = [];
  let next = 0;
  const apps = new Map<string, { id: string; name: string }>();
  const builds = new Map<string, unknown>();
  const environments = new Map<string, { id: string; name: string }>();
  /** Set to make the next creation succeed on the account and its answer get lost. */
  const faults = { loseNextAnswer: false };
  const cp = {
    urls: { graphql: GRAPHQL },
    async saveEndpoint(input: EndpointInput) {
      saved.push(input);
      // As RunPod (and the emulator) do: a second inline template under one name is refused.
      if (!input.id && [...endpoints.values()].includes(input.name)) {
        throw new Error(`Template name must be unique: "${input.name}" is already used`);
      }
      const id = input.id ?? `ep${++next}`;
      endpoints.set(id, input.name);
      if (faults.loseNextAnswer) {
        faults.loseNextAnswer = false;
        throw new Error("socket hang up");
      }
      return { id, name: input.name };
    },
    async findEndpointsByName(name: string) {
      return [...endpoints].filter(([, n]) => n === name).map(([id]) => ({ id, name }));
    },
    async getTemplateByName() {
      return undefined;
    },
    async deleteEndpoint(id: string) {
      deleted.push(id);
      endpoints.delete(id);
    },
    async getEndpoint(id: string) {
      return endpoints.has(id) ? { id, name: endpoints.get(id) } : undefined;
    },
    async deleteTemplate() {},
    // Flash apps: the session's live environment with the runtime-only build.
    async getFlashAppByName(name: string) {
      return apps.get(name);
    },
    async createFlashApp(name: string) {
      const app = { id: `app-${name}`, name };
      apps.set(name, app);
      return app;
    },
    async listFlashBuilds() {
      return [...builds.keys()].map((id) => ({ id }));
    },
    async getFlashBuild(id: string) {
      return { id, manifest: builds.get(id) };
    },
    async uploadBuild(input: { manifest: unknown }) {
      const id = `build${builds.size + 1}`;
      builds.set(id, input.manifest);
      return { id };
    },
    async getFlashEnvironmentByName(input: { name: string }) {
      return [...environments.values()].find((e) => e.name === input.name);
    },
    async createFlashEnvironment(input: { name: string }) {
      const env = { id: `env-${input.name}`, name: input.name };
      environments.set(env.id, env);
      return env;
    },
    async deployBuildToEnvironment() {},
    async getFlashEnvironment(id: string) {
      return environments.get(id);
    },
    async deleteFlashEnvironment(id: string) {
      environments.delete(id);
    },
  };
  return { cp: cp as unknown as ControlPlane, endpoints, saved, deleted, faults, environments, builds };
}

/** A queue client whose jobs complete at once with their input echoed. */
const queue = {
  async runsync(_endpoint: string, request: { input: { input: unknown; __flash__: unknown } }) {
    return {
      id: "job1",
      status: "COMPLETED",
      output: { echoed: request.input.input, flash: request.input.__flash__ },
    };
  },
} as unknown as QueueClient;

function job(res = resource("gpu_worker.ts", [{ name: "process" }])): QbJob {
  return {
    resource: res,
    functionName: "process",
    bundle: { sha256: "abc", code: "export const process = () => 1;", inputs: [] },
    dependencies: ["left-pad@1"],
    systemDependencies: [],
    input: { x: 1 },
  };
}

describe("LiveTarget", () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "flash-live-"));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const target = (cp: ControlPlane, env?: NodeJS.ProcessEnv, embedded = false) =>
    new LiveTarget("test", {
      root,
      sessionId: "s1",
      controlPlane: cp,
      queue,
      embedded,
      log: () => {},
      env,
    });

  it("provisions live-<name>-<session> once, sends the SPEC 5 envelope, and removes only its endpoints", async () => {
    const { cp, endpoints, saved, deleted, environments, builds } = fakeControlPlane();
    endpoints.set("other", "not-mine");
    environments.set("env-production", { id: "env-production", name: "production" });
    const t = target(cp);
    await t.start();
    const r = resource("gpu_worker.ts", [{ name: "process" }]);
    const out = (await t.run(job(r), undefined)) as { echoed: unknown; flash: Record<string, unknown> };
    await t.run(job(r), undefined);
    expect(saved.map((s) => s.name)).toEqual(["live-gpu_worker-s1"]);
    expect(saved[0]?.type).toBe("QB");
    expect(out.echoed).toEqual({ x: 1 });
    expect(out.flash).toEqual({
      v: 1,
      function: "process",
      file: "gpu_worker.ts",
      bundle: { sha256: "abc", code: "export const process = () => 1;" },
      dependencies: ["left-pad@1"],
      systemDependencies: [],
    });
    const [session] = await readLiveSessions(root);
    expect(session?.endpoints).toEqual([{ id: "ep1", name: "live-gpu_worker-s1" }]);
    // Its workers unpack the runtime-only build of the session's environment (live-runtime.ts).
    expect(session?.environment).toEqual({ id: "env-live-s1", name: "live-s1" });
    expect(saved[0]?.flashEnvironmentId).toBe("env-live-s1");
    expect([...builds.values()]).toEqual([{ flash_live_runtime: expect.stringMatching(/\+node-24\./) }]);
    expect(await t.close()).toEqual([
      "Removed live endpoint live-gpu_worker-s1",
      "Removed live environment live-s1",
    ]);
    expect(deleted).toEqual(["ep1"]);
    expect([...endpoints.keys()]).toEqual(["other"]);
    expect([...environments.keys()]).toEqual(["env-production"]);
    // The build stays for the next session, which uploads nothing.
    const next = new LiveTarget("test", {
      root,
      sessionId: "s2",
      controlPlane: cp,
      queue,
      embedded: false,
      log: () => {},
    });
    await next.run(job(r), undefined);
    expect(builds.size).toBe(1);
    await next.close();
    expect(await readLiveSessions(root)).toEqual([]);
  });

  it("three first calls to three resources at once all succeed, each provisioned once and all recorded", async () => {
    const { cp, saved } = fakeControlPlane();
    const t = target(cp);
    await t.start();
    const files = ["a_worker.ts", "b_worker.ts", "c_worker.ts"];
    const calls = () =>
      Promise.all(files.map((f) => t.run(job(resource(f, [{ name: "process" }])), undefined)));
    expect(await calls()).toHaveLength(3);
    expect(await calls()).toHaveLength(3);
    expect(saved.map((s) => s.name).sort()).toEqual([
      "live-a_worker-s1",
      "live-b_worker-s1",
      "live-c_worker-s1",
    ]);
    const [session] = await readLiveSessions(root);
    expect(session?.endpoints.map((e) => e.name).sort()).toEqual(saved.map((s) => s.name).sort());
    await t.close();
  });

  it("a provisioning whose session record failed is retried by the next call without a second endpoint", async () => {
    const { cp, endpoints, saved } = fakeControlPlane();
    // Embedded: no live environment is recorded first, so the endpoint's own record is what fails.
    const t = target(cp, undefined, true);
    const r = resource("gpu_worker.ts", [{ name: "process" }]);
    // `.flash` as a file: the endpoint is created, then its record cannot be written.
    await writeFile(join(root, ".flash"), "");
    await expect(t.run(job(r), undefined)).rejects.toThrow();
    await rm(join(root, ".flash"));
    await t.run(job(r), undefined);
    expect(saved.map((s) => [s.id, s.name])).toEqual([
      [undefined, "live-gpu_worker-s1"],
      ["ep1", "live-gpu_worker-s1"],
    ]);
    expect([...endpoints.keys()]).toEqual(["ep1"]);
    expect((await readLiveSessions(root))[0]?.endpoints).toEqual([{ id: "ep1", name: "live-gpu_worker-s1" }]);
    await t.close();
    expect(endpoints.size).toBe(0);
  });

  it("an endpoint created although its answer was lost is found by name and taken over", async () => {
    const { cp, endpoints, faults } = fakeControlPlane();
    const t = target(cp);
    const r = resource("gpu_worker.ts", [{ name: "process" }]);
    faults.loseNextAnswer = true;
    await t.run(job(r), undefined);
    expect([...endpoints.entries()]).toEqual([["ep1", "live-gpu_worker-s1"]]);
    expect((await readLiveSessions(root))[0]?.endpoints).toEqual([{ id: "ep1", name: "live-gpu_worker-s1" }]);
    await t.close();
    expect(endpoints.size).toBe(0);
  });

  it("updates the endpoint in place when the resource's config changes on reload", async () => {
    const { cp, saved } = fakeControlPlane();
    const t = target(cp);
    const before = resource("gpu_worker.ts", [{ name: "process" }]);
    await t.run(job(before), undefined);
    const after = resource("gpu_worker.ts", [{ name: "process" }]);
    after.config = { ...after.config, workersMax: 7 };
    await t.run(job(after), undefined);
    expect(saved.map((s) => [s.id, s.workersMax])).toEqual([
      [undefined, 3],
      ["ep1", 7],
    ]);
    await t.close();
  });

  it("removes a dead session's endpoints on the same account at start, and keeps the rest", async () => {
    const { cp, endpoints, deleted } = fakeControlPlane();
    endpoints.set("old1", "live-a-dead");
    const entry = (sessionId: string, pid: number, graphqlUrl: string, ids: string[]) => ({
      sessionId,
      pid,
      graphqlUrl,
      embedded: false,
      startedAt: new Date().toISOString(),
      endpoints: ids.map((id) => ({ id, name: `live-a-${sessionId}` })),
    });
    await writeLiveSessions(root, [
      entry("dead", 2 ** 22 + 12345, GRAPHQL, ["old1"]),
      entry("elsewhere", 2 ** 22 + 12346, "https://api.runpod.io/graphql", ["x"]),
      entry("alive", process.pid, GRAPHQL, ["y"]),
    ]);
    const t = target(cp);
    await t.start();
    expect(deleted).toEqual(["old1"]);
    expect((await readLiveSessions(root)).map((s) => s.sessionId).sort()).toEqual([
      "alive",
      "elsewhere",
      "s1",
    ]);
    await t.close();
  });
  it("fills process.env.X config values as deploy does: the environment over the project's .env", async () => {
    const { cp, saved } = fakeControlPlane();
    await writeFile(join(root, ".env"), "MODEL=from-dotenv\nTOKEN=dotenv-token\n");
    const t = target(cp, { TOKEN: "process-token" });
    const r = resource("gpu_worker.ts", [{ name: "process" }]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: `${X}` is how discovery records process.env.X
    r.config = { ...r.config, env: { MODEL: "${MODEL}", AUTH: "Bearer ${TOKEN}", PLAIN: "x" } };
    await t.run(job(r), undefined);
    expect(saved[0]?.template?.env).toEqual([
      { key: "MODEL", value: "from-dotenv" },
      { key: "AUTH", value: "Bearer process-token" },
      { key: "PLAIN", value: "x" },
      { key: "FLASH_LIVE", value: "1" },
    ]);
  });

  it("refuses a live call whose config needs an unset variable, naming it, and takes it from .env once added", async () => {
    const { cp, saved } = fakeControlPlane();
    const t = target(cp, {});
    const r = resource("gpu_worker.ts", [{ name: "process" }]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: discovery's placeholder syntax
    r.config = { ...r.config, env: { HF_TOKEN: "${HF_TOKEN}" } };
    await expect(t.run(job(r), undefined)).rejects.toMatchObject({
      code: "CONFIG_INVALID",
      message: expect.stringMatching(/^gpu_worker\.ts:3: env\.HF_TOKEN needs HF_TOKEN, which is not set/),
      hint: expect.stringContaining("then call again"),
    });
    expect(saved).toEqual([]);
    await writeFile(join(root, ".env"), "HF_TOKEN=hf_123\n");
    await t.run(job(r), undefined);
    expect(saved[0]?.template?.env).toEqual([
      { key: "HF_TOKEN", value: "hf_123" },
      { key: "FLASH_LIVE", value: "1" },
    ]);
  });

  it("leaves an unset variable empty for local workers (the embedded emulator), and still reads .env", async () => {
    const { cp, saved } = fakeControlPlane();
    await writeFile(join(root, ".env"), "MODEL=tiny\n");
    const t = target(cp, {}, true);
    const r = resource("gpu_worker.ts", [{ name: "process" }]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: discovery's placeholder syntax
    r.config = { ...r.config, env: { HF_TOKEN: "${HF_TOKEN}", MODEL: "${MODEL}" } };
    await t.run(job(r), undefined);
    expect(saved[0]?.template?.env).toEqual([
      { key: "HF_TOKEN", value: "" },
      { key: "MODEL", value: "tiny" },
      { key: "FLASH_LIVE", value: "1" },
    ]);
  });
});
