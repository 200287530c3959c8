import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import { outsideWorkerEnv } from "../../src/emulator/index.ts";
import { OUTSIDE_WORKER_TTL_MS } from "../../src/emulator/supervisor.ts";
import { runOutsideWorker } from "../fixtures/emulator/outside-worker.mjs";
import { rawRequest } from "../helpers/raw-http.ts";
import { addEndpoint, call, startEmulator, type TestEmulator, until } from "./helpers.ts";

/**
 * Workers the emulator did not start (SPEC section 6): a worker of the test's own, written from
 * RunPod's protocol (test/fixtures/emulator/outside-worker.mjs), polls an endpoint whose image the
 * emulator does not run, with nothing but the environment `outsideWorkerEnv` gives.
 */

const WORKER_SCRIPT = fileURLToPath(new URL("../fixtures/emulator/outside-worker.mjs", import.meta.url));
const VLLM_IMAGE = "runpod/worker-v1-vllm:latest";

let emu: TestEmulator;
const stops: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  emu = await startEmulator();
});
afterEach(async () => {
  // Outside workers (in-process loops and child processes) stop even when a test failed.
  for (const stop of stops.splice(0).reverse()) await stop();
});
afterAll(async () => {
  await emu?.close();
});

async function gql(url: string, query: string, variables: unknown = {}, authorization = "Bearer user-key") {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { authorization, "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response fields
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: { message: string }[] } };
}

/** An endpoint on an image the emulator does not run, made through GraphQL as RunPod clients make one. */
async function foreignEndpoint(
  name: string,
  fields: Record<string, unknown> = {},
  imageName = VLLM_IMAGE,
): Promise<string> {
  const tpl = await gql(emu.url, "mutation($i: SaveTemplateInput) { saveTemplate(input: $i) { id } }", {
    i: {
      name: `${name}-tpl`,
      imageName,
      containerDiskInGb: 20,
      volumeInGb: 0,
      isServerless: true,
      env: [{ key: "MODEL_NAME", value: "tiny" }],
    },
  });
  expect(tpl.body.errors).toBeUndefined();
  const ep = await gql(emu.url, "mutation($i: EndpointInput!) { saveEndpoint(input: $i) { id } }", {
    i: {
      name,
      templateId: tpl.body.data.saveTemplate.id,
      gpuIds: "ADA_24",
      workersMin: 1,
      workersMax: 3,
      idleTimeout: 60,
      ...fields,
    },
  });
  expect(ep.body.errors).toBeUndefined();
  return ep.body.data.saveEndpoint.id as string;
}

/** Runs the test's worker in this process until the test ends. */
function startInProcess(endpointId: string, workerId: string): void {
  const controller = new AbortController();
  const env = outsideWorkerEnv(emu.url, endpointId, { apiKey: "user-key", workerId });
  const done = runOutsideWorker({ ...env }, controller.signal);
  stops.push(async () => {
    controller.abort();
    await done;
  });
}

/** Runs the test's worker as a process of its own, with only the worker environment, until the test ends. */
function startProcess(endpointId: string, workerId: string): ChildProcess {
  const env = outsideWorkerEnv(emu.url, endpointId, { apiKey: "any-value-works", workerId });
  const child = spawn(process.execPath, [WORKER_SCRIPT], {
    env: { ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let err = "";
  child.stderr!.on("data", (c) => {
    err += c;
  });
  child.stdout!.resume();
  stops.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  });
  child.once("exit", (code) => {
    if (code) console.error(`outside worker exited with ${code}: ${err}`);
  });
  return child;
}

describe("an endpoint on an image the emulator does not run", () => {
  test("gets no Flash workers; its jobs wait, then an outside worker takes and completes them", async () => {
    const ep = await foreignEndpoint("vllm-like");
    const ids: string[] = [];
    for (let n = 0; n < 3; n++)
      ids.push((await call(emu, "POST", `/v2/${ep}/run`, { input: { n } }, "user-key")).json.id);

    const before = await call(emu, "GET", `/v2/${ep}/health`);
    expect(before.json.jobs).toMatchObject({ inQueue: 3, inProgress: 0, failed: 0 });
    expect(before.json.workers).toMatchObject({ idle: 0, running: 0, initializing: 0, outside: 0 });
    expect(before.json.workers.note).toContain(`no Flash workers for image ${VLLM_IMAGE}`);
    expect(before.json.workers.note).toContain("outside worker");
    // workersMin 1 and three queued jobs, yet nothing started (queueing scales up synchronously).
    expect(emu.supervisor.workersOf(ep)).toEqual([]);
    expect(emu.supervisor.pids(ep)).toEqual([]);
    expect(emu.logs.filter((l) => l.includes(ep) && l.includes("no Flash workers"))).toHaveLength(1);

    startInProcess(ep, "outside-in-process");
    const results = await until(async () => {
      const all = await Promise.all(ids.map((id) => call(emu, "GET", `/v2/${ep}/status/${id}`)));
      return all.every((r) => r.json.status === "COMPLETED") ? all : undefined;
    });
    results.forEach((r, n) => {
      expect(r.json.output).toEqual({ echoed: { n }, worker: "outside-in-process" });
      expect(r.json.workerId).toBe("outside-in-process");
    });

    const after = await call(emu, "GET", `/v2/${ep}/health`);
    expect(after.json.jobs).toMatchObject({ completed: 3, failed: 0, inQueue: 0 });
    expect(after.json.workers.outside).toBe(1);
    expect(after.json.workers.idle + after.json.workers.running).toBe(1);
    expect(after.json.workers.note).toContain("no Flash workers");
    expect(emu.supervisor.pids(ep)).toEqual([]);
    expect(emu.logs.some((l) => l.includes("outside-in-process") && l.includes("outside worker"))).toBe(true);
    expect(emu.logs.filter((l) => l.includes(ep) && l.includes("no Flash workers"))).toHaveLength(1);
  });

  test("an outside worker running as a process of its own, with only the worker env, serves runsync", async () => {
    const ep = await foreignEndpoint("own-worker", {}, "myuser/myworker:1");
    startProcess(ep, "outside-process-1");
    const res = await call(emu, "POST", `/v2/${ep}/runsync`, { input: { via: "process" } });
    expect(res.json).toMatchObject({
      status: "COMPLETED",
      output: { echoed: { via: "process" }, worker: "outside-process-1" },
      workerId: "outside-process-1",
    });
    const second = await call(emu, "POST", `/v2/${ep}/runsync`, { input: 2 });
    expect(second.json.output).toEqual({ echoed: 2, worker: "outside-process-1" });
    const health = await call(emu, "GET", `/v2/${ep}/health`);
    expect(health.json.jobs).toMatchObject({ completed: 2, failed: 0 });
    expect(health.json.workers.outside).toBe(1);
    expect(emu.supervisor.pids(ep)).toEqual([]);
  });

  test("an outside worker that stops polling drops out of /health, then is forgotten", async () => {
    const ep = await foreignEndpoint("ttl");
    const env = outsideWorkerEnv(emu.url, ep, { apiKey: "k", workerId: "quiet-1" });
    const ping = await fetch(env.RUNPOD_WEBHOOK_PING.replace("$RUNPOD_POD_ID", "quiet-1"), {
      headers: { authorization: "k" },
    });
    expect(ping.status).toBe(200);
    expect((await call(emu, "GET", `/v2/${ep}/health`)).json.workers).toMatchObject({ idle: 1, outside: 1 });
    const now = Date.now();
    const clock = vi.spyOn(Date, "now").mockImplementation(() => now + OUTSIDE_WORKER_TTL_MS + 1000);
    try {
      expect((await call(emu, "GET", `/v2/${ep}/health`)).json.workers).toMatchObject({
        idle: 0,
        outside: 0,
      });
      await until(() => emu.supervisor.workersOf(ep).length === 0);
    } finally {
      clock.mockRestore();
    }
  });

  test("an LB endpoint on such an image answers 503 at once, saying why", async () => {
    const ep = await foreignEndpoint("lb-foreign", {
      type: "LB",
      scalerType: "REQUEST_COUNT",
      workersMin: 0,
    });
    const res = await call(emu, "GET", `/lb/${ep}/ping`);
    expect(res.status).toBe(503);
    expect(res.json.error).toContain("no Flash workers for image");
    expect(emu.supervisor.workersOf(ep)).toEqual([]);
  });

  test("a Flash worker image still gets Flash workers, and its /health has no note", async () => {
    const ep = addEndpoint(emu, { workersMin: 0 });
    const health = await call(emu, "GET", `/v2/${ep.id}/health`);
    expect(health.json.workers).toEqual({
      idle: 0,
      running: 0,
      initializing: 0,
      ready: 0,
      throttled: 0,
      unhealthy: 0,
      outside: 0,
    });
    expect(emu.supervisor.noWorkersNote(ep.id)).toBeUndefined();
  });
});

describe("job-take-batch", () => {
  test("hands up to batch_size queued jobs at once (default 1), each IN_PROGRESS on that worker", async () => {
    const ep = await foreignEndpoint("batch");
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) ids.push((await call(emu, "POST", `/v2/${ep}/run`, { input: n })).json.id);
    const take = async (query: string) => {
      const res = await fetch(`${emu.url}/v2/${ep}/job-take-batch/batcher${query}`, {
        headers: { authorization: "user-key" },
      });
      return (await res.json()) as { id: string; input: unknown }[];
    };
    const three = await take("?gpu=emulator&batch_size=3&job_in_progress=0");
    expect(three.map((j) => j.input)).toEqual([0, 1, 2]);
    expect((await take("?gpu=emulator")).map((j) => j.input)).toEqual([3]);
    expect((await take("?batch_size=1000")).map((j) => j.input)).toEqual([4]);
    for (const id of ids) {
      const status = await call(emu, "GET", `/v2/${ep}/status/${id}`);
      expect(status.json).toMatchObject({ status: "IN_PROGRESS", workerId: "batcher" });
    }
    expect((await call(emu, "GET", `/v2/${ep}/health`)).json.workers).toMatchObject({
      running: 1,
      outside: 1,
    });
    for (const id of ids) {
      const done = await fetch(`${emu.url}/v2/${ep}/job-done/batcher/${id}?isStream=false`, {
        method: "POST",
        headers: { authorization: "user-key", "content-type": "application/json" },
        body: JSON.stringify({ output: "ok" }),
      });
      expect(done.status).toBe(200);
    }
    expect((await call(emu, "GET", `/v2/${ep}/health`)).json.jobs).toMatchObject({ completed: 5, failed: 0 });
  });
});

describe("keys", () => {
  test("an empty key is 401 on every surface; a bare key works on every surface", async () => {
    const ep = await foreignEndpoint("keys");
    const lb = await foreignEndpoint("keys-lb", { type: "LB", scalerType: "REQUEST_COUNT", workersMin: 0 });
    const surfaces = (authorization: string) => ({
      queue: rawRequest(emu.url, "GET", `/v2/${ep}/health`, { authorization }),
      graphql: rawRequest(
        emu.url,
        "POST",
        "/graphql",
        { authorization, "content-type": "application/json" },
        JSON.stringify({ query: "query { myself { id } }" }),
      ),
      worker: rawRequest(emu.url, "GET", `/v2/${ep}/ping/key-tester?gpu=emulator`, { authorization }),
      lb: rawRequest(emu.url, "GET", `/lb/${lb}/ping`, { authorization }),
    });
    for (const empty of ["Bearer ", "Bearer", "bearer   ", ""]) {
      const answers = surfaces(empty);
      for (const [surface, answer] of Object.entries(answers)) {
        expect([surface, empty, (await answer).status]).toEqual([surface, empty, 401]);
      }
    }
    const bare = surfaces("user-key");
    expect((await bare.queue).status).toBe(200);
    expect((await bare.graphql).json.data.myself.id).toBeTruthy();
    expect((await bare.worker).status).toBe(200);
    // Past the key: the LB endpoint answers that it has no workers.
    expect((await bare.lb).status).toBe(503);
    // An empty header is not rescued by an api_key next to it.
    expect(
      (await rawRequest(emu.url, "GET", `/v2/${ep}/health?api_key=k`, { authorization: "Bearer " })).status,
    ).toBe(401);
    expect((await rawRequest(emu.url, "GET", `/v2/${ep}/health?api_key=k`, {})).status).toBe(200);
  });

  test("with --api-key the worker protocol takes that key (raw or Bearer) and the internal one, nothing else", async () => {
    const strict = await startEmulator({ apiKey: "the-users-key" });
    stops.push(() => strict.close());
    const ep = addEndpoint(strict, { workersMin: 1 });
    // The emulator's own worker polls with its internal key: it comes up ready.
    await until(() => strict.supervisor.workersOf(ep.id).some((w) => w.managed && w.state === "ready"));
    const ping = (authorization: string, worker = "mine") =>
      rawRequest(strict.url, "GET", `/v2/${ep.id}/ping/${worker}?gpu=emulator`, { authorization });
    expect((await ping("the-users-key")).status).toBe(200);
    expect((await ping("Bearer the-users-key")).status).toBe(200);
    expect((await ping("some-other-key")).status).toBe(401);
    expect((await ping("Bearer ")).status).toBe(401);
    expect(
      (await rawRequest(strict.url, "GET", `/v2/${ep.id}/health`, { authorization: "the-users-key" })).status,
    ).toBe(200);
    expect(
      (await rawRequest(strict.url, "GET", `/v2/${ep.id}/health`, { authorization: "other" })).status,
    ).toBe(401);

    // A worker the supervisor stopped is answered 410, even with a good key.
    const managed = strict.supervisor.workersOf(ep.id).find((w) => w.managed)!;
    await strict.supervisor.stopWorker(managed, "test");
    expect((await ping("the-users-key", managed.id)).status).toBe(410);
  });
});

describe("GraphQL as runpod-python's helpers send it", () => {
  test("myself { endpoints { ... env createdAt networkVolume template } } and gpuTypes", async () => {
    const volume = await gql(
      emu.url,
      "mutation($i: CreateNetworkVolumeInput!) { createNetworkVolume(input: $i) { id } }",
      { i: { name: "models", size: 10, dataCenterId: "EU-RO-1" } },
    );
    const volumeId = volume.body.data.createNetworkVolume.id as string;
    const ep = await foreignEndpoint("listed", { networkVolumeId: volumeId, locations: "EU-RO-1" });
    const listed = await gql(
      emu.url,
      `query { myself { endpoints { id name gpuIds idleTimeout locations networkVolumeId scalerType scalerValue
        templateId workersMax workersMin aiKey type userId version workersStandby gpuCount
        template { id name imageName env { key value } containerDiskInGb dockerArgs }
        env { key value } createdAt networkVolume { id dataCenterId } } } }`,
    );
    expect(listed.body.errors).toBeUndefined();
    const endpoint = listed.body.data.myself.endpoints.find((e: { id: string }) => e.id === ep);
    expect(endpoint).toMatchObject({
      name: "listed",
      gpuIds: "ADA_24",
      locations: "EU-RO-1",
      networkVolumeId: volumeId,
      workersMin: 1,
      workersMax: 3,
      env: [{ key: "MODEL_NAME", value: "tiny" }],
      networkVolume: { id: volumeId, dataCenterId: "EU-RO-1" },
      template: { name: "listed-tpl", imageName: VLLM_IMAGE, env: [{ key: "MODEL_NAME", value: "tiny" }] },
    });
    expect(Number.isNaN(Date.parse(endpoint.createdAt))).toBe(false);
    const plain = listed.body.data.myself.endpoints.find((e: { name: string }) => e.name === "vllm-like");
    expect(plain?.networkVolume ?? null).toBeNull();

    const gpus = await gql(emu.url, "query GpuTypes { gpuTypes { id displayName memoryInGb } }");
    expect(gpus.body.errors).toBeUndefined();
    const memory = Object.fromEntries(
      (gpus.body.data.gpuTypes as { id: string; memoryInGb: number }[]).map((g) => [g.id, g.memoryInGb]),
    );
    expect(memory).toMatchObject({
      "NVIDIA GeForce RTX 4090": 24,
      "NVIDIA A100 80GB PCIe": 80,
      "NVIDIA H100 80GB HBM3": 80,
      "NVIDIA RTX A5000": 24,
      "NVIDIA L40S": 48,
    });
    // runpod-python's get_gpu(id) query, field for field.
    const one = await gql(
      emu.url,
      `query GpuTypes { gpuTypes(input: {id: "NVIDIA L40S"}) { maxGpuCount id displayName manufacturer
        memoryInGb cudaCores secureCloud communityCloud securePrice communityPrice oneMonthPrice
        threeMonthPrice oneWeekPrice communitySpotPrice secureSpotPrice
        lowestPrice(input: {gpuCount: 1}) { minimumBidPrice uninterruptablePrice } } }`,
    );
    expect(one.body.errors).toBeUndefined();
    expect(one.body.data.gpuTypes).toEqual([
      expect.objectContaining({ id: "NVIDIA L40S", displayName: "L40S", memoryInGb: 48 }),
    ]);
    const none = await gql(emu.url, `query { gpuTypes(input: {id: "NVIDIA GeForce GTX 480"}) { id } }`);
    expect(none.body.data.gpuTypes).toEqual([]);
  });
});
