import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { callEndpoint } from "../../src/cloud/queue-call.ts";
import { QueueClient } from "../../src/cloud/queue-client.ts";
import type { EmulatedEndpoint } from "../../src/emulator/registry.ts";
import { RemoteExecutionError } from "../../src/sdk/errors.ts";
import { isFlashError } from "../../src/shared/errors.ts";
import {
  addEndpoint,
  alive,
  bundleFixture,
  live,
  rejection,
  startEmulator,
  type TestEmulator,
} from "./helpers.ts";

// `flash run --local` sends its queue calls to its own embedded emulator through `localFetch`, which
// answers them in-process. These tests hold it to the HTTP server's answers and to the queue client's
// behaviour (SPEC section 5) on top of it.
let emu: TestEmulator;
let ep: EmulatedEndpoint;
/** No workers: jobs stay queued. */
let parked: EmulatedEndpoint;
let lb: EmulatedEndpoint;
let bundle: Awaited<ReturnType<typeof bundleFixture>>;
/** Requests the local fetch handed to its fallback (it should hand it none of the queue API). */
const fellBack: string[] = [];
let local: typeof fetch;
let client: QueueClient;

beforeAll(async () => {
  emu = await startEmulator();
  ep = addEndpoint(emu, { workersMax: 1 });
  parked = addEndpoint(emu, { workersMax: 0 });
  lb = addEndpoint(emu, { workersMax: 0, type: "LB" });
  bundle = await bundleFixture("emulator/functions.ts");
  local = emu.localFetch((input, init) => {
    fellBack.push(String(input));
    return fetch(input, init);
  });
  client = new QueueClient({
    baseUrl: `${emu.url}/v2`,
    apiKey: "test-key",
    http: { fetch: local, retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 1 } },
  });
});

afterAll(async () => {
  const pids = emu.supervisor.pids();
  await emu.close();
  for (const pid of pids) expect(alive(pid)).toBe(false);
});

/** A request to the emulator with `f` (the global fetch: over HTTP; `local`: in-process). */
async function send(f: typeof fetch, method: string, path: string, body?: unknown, key?: string) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key !== undefined) headers.authorization = key;
  const res = await f(`${emu.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response fields
  return { status: res.status, ok: res.ok, json: JSON.parse(await res.text()) as Record<string, any> };
}

const callLocal = (method: string, path: string, body?: unknown) =>
  send(local, method, path, body, "Bearer test-key");

describe("localFetch answers as the HTTP server does", () => {
  const key = "Bearer test-key";
  const cases: { name: string; method: string; path: () => string; body?: unknown; auth?: string }[] = [
    { name: "health", method: "GET", path: () => `/v2/${parked.id}/health`, auth: key },
    { name: "no key", method: "GET", path: () => `/v2/${parked.id}/health` },
    { name: "a bare key", method: "GET", path: () => `/v2/${parked.id}/health`, auth: "test-key" },
    { name: "an empty Bearer", method: "GET", path: () => `/v2/${parked.id}/health`, auth: "Bearer  " },
    { name: "key as a query parameter", method: "GET", path: () => `/v2/${parked.id}/health?api_key=k` },
    { name: "unknown endpoint", method: "POST", path: () => "/v2/nope/run", body: { input: 1 }, auth: key },
    { name: "unknown job", method: "GET", path: () => `/v2/${parked.id}/status/not-a-job`, auth: key },
    { name: "unknown action", method: "POST", path: () => `/v2/${parked.id}/walk`, body: {}, auth: key },
    { name: "extra path segment", method: "GET", path: () => `/v2/${parked.id}/health/more`, auth: key },
    { name: "missing job id", method: "POST", path: () => `/v2/${parked.id}/cancel`, auth: key },
    { name: "wrong method", method: "GET", path: () => `/v2/${parked.id}/run`, auth: key },
    { name: "not JSON", method: "POST", path: () => `/v2/${parked.id}/run`, body: "{nope", auth: key },
    { name: "empty body", method: "POST", path: () => `/v2/${parked.id}/run`, body: "", auth: key },
    { name: "no input", method: "POST", path: () => `/v2/${parked.id}/run`, body: { nope: 1 }, auth: key },
    { name: "array body", method: "POST", path: () => `/v2/${parked.id}/runsync`, body: [1], auth: key },
    {
      name: "bad policy",
      method: "POST",
      path: () => `/v2/${parked.id}/run`,
      body: { input: 1, policy: { ttl: 5 } },
      auth: key,
    },
    {
      name: "queue route of an LB endpoint",
      method: "POST",
      path: () => `/v2/${lb.id}/run`,
      body: { input: 1 },
      auth: key,
    },
    {
      name: "over the /run limit",
      method: "POST",
      path: () => `/v2/${parked.id}/run`,
      body: { input: "x".repeat(10.5 * 1024 * 1024) },
      auth: key,
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const overHttp = await send(fetch, c.method, c.path(), c.body, c.auth);
      const inProcess = await send(local, c.method, c.path(), c.body, c.auth);
      expect(inProcess.status).toBe(overHttp.status);
      expect(inProcess.json).toEqual(overHttp.json);
    });
  }

  test("run, status, cancel and purge-queue: same states and shapes", async () => {
    const run = await callLocal("POST", `/v2/${parked.id}/run`, { input: { i: 1 } });
    expect(run).toMatchObject({ status: 200, json: { status: "IN_QUEUE" } });
    expect(run.json.id).toMatch(/^[0-9a-f-]{36}$/);
    const overHttp = await send(fetch, "GET", `/v2/${parked.id}/status/${run.json.id}`, undefined, key);
    expect((await callLocal("GET", `/v2/${parked.id}/status/${run.json.id}`)).json).toEqual(overHttp.json);
    const cancelled = await callLocal("POST", `/v2/${parked.id}/cancel/${run.json.id}`);
    expect(cancelled.json).toMatchObject({ id: run.json.id, status: "CANCELLED" });
    expect(
      (await send(fetch, "GET", `/v2/${parked.id}/status/${run.json.id}`, undefined, key)).json.status,
    ).toBe("CANCELLED");
    await callLocal("POST", `/v2/${parked.id}/run`, { input: 2 });
    expect((await callLocal("POST", `/v2/${parked.id}/purge-queue`)).json).toEqual({
      removed: 1,
      status: "completed",
    });
  });

  test("the worker protocol, other paths and other origins go to the fallback", async () => {
    fellBack.length = 0;
    await callLocal("GET", `/v2/${parked.id}/health`);
    expect(fellBack).toEqual([]);
    expect((await callLocal("GET", `/v2/${parked.id}/ping/w1`)).status).toBe(401);
    expect((await local(`${emu.url}/`)).status).toBe(200);
    expect(fellBack).toEqual([`${emu.url}/v2/${parked.id}/ping/w1`, `${emu.url}/`]);
  });

  test("an aborted signal rejects the request", async () => {
    const controller = new AbortController();
    const pending = local(`${emu.url}/v2/${parked.id}/runsync?wait=60000`, {
      method: "POST",
      headers: { authorization: "Bearer test-key" },
      body: JSON.stringify({ input: 1 }),
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toThrow();
    await expect(
      local(`${emu.url}/v2/${parked.id}/health`, { signal: AbortSignal.abort() }),
    ).rejects.toThrow();
    await client.purgeQueue(parked.id);
  });
});

describe("the queue client over localFetch (SPEC section 5)", () => {
  test("a job completes with its output", async () => {
    expect(await callEndpoint(client, ep.id, live(bundle, "add", { a: 2, b: 3 }))).toBe(5);
    const job = await client.runsync(ep.id, { input: live(bundle, "echo", { n: 1 }) });
    expect(job).toMatchObject({ status: "COMPLETED", output: { echoed: { n: 1 } } });
    expect(job.id).toMatch(/^sync-/);
    expect(typeof job.executionTime).toBe("number");
  });

  test("a throwing function rejects with FAILED, its message and its stack", async () => {
    const err = await rejection(
      callEndpoint(client, ep.id, live(bundle, "fails", { message: "bad input here" }), { label: "fx" }),
    );
    expect(err).toBeInstanceOf(RemoteExecutionError);
    expect(err.status).toBe("FAILED");
    expect(err.endpoint).toBe("fx");
    expect(err.message).toContain("bad input here");
    expect(err.remoteStack).toContain("bad input here");
  });

  test("a job still running when runsync returns is followed with /status until it ends", async () => {
    const first = await client.runsync(
      ep.id,
      { input: live(bundle, "sleeps", { ms: 3000 }) },
      { waitMs: 1000 },
    );
    expect(["IN_QUEUE", "IN_PROGRESS"]).toContain(first.status);
    expect((await client.status(ep.id, first.id)).id).toBe(first.id);
    const done = await client.statusSync(ep.id, first.id, { waitMs: 30_000 });
    expect(done).toMatchObject({ id: first.id, status: "COMPLETED", output: { end: expect.any(Number) } });
  });

  test("a timeout cancels the job and rejects TIMEOUT", async () => {
    const err = await rejection(callEndpoint(client, parked.id, { x: 1 }, { timeoutMs: 1500 }));
    expect(isFlashError(err, "TIMEOUT")).toBe(true);
    expect(err.message).toMatch(/job \S+ cancelled/);
    expect((await client.health(parked.id)).jobs.inQueue).toBe(0);
  });

  test("aborting the signal rejects ABORTED", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const err = await rejection(callEndpoint(client, parked.id, { x: 1 }, { signal: controller.signal }));
    expect(isFlashError(err, "ABORTED")).toBe(true);
    await client.purgeQueue(parked.id);
  });

  test("an input over RunPod's limit is refused before sending, naming the limit", async () => {
    const err = await rejection(callEndpoint(client, parked.id, "x".repeat(21 * 1024 * 1024)));
    expect(isFlashError(err, "PAYLOAD_TOO_LARGE")).toBe(true);
    expect(err.message).toContain("20 MB");
    expect((await client.health(parked.id)).jobs.inQueue).toBe(0);
  });

  test("a rejected key is RUNPOD_AUTH, as over HTTP", async () => {
    const strict = await startEmulator({ apiKey: "right-key" });
    try {
      const e = addEndpoint(strict, { workersMax: 0 });
      const wrong = new QueueClient({
        baseUrl: `${strict.url}/v2`,
        apiKey: "wrong",
        http: { fetch: strict.localFetch() },
      });
      expect(isFlashError(await rejection(wrong.health(e.id)), "RUNPOD_AUTH")).toBe(true);
      const right = new QueueClient({
        baseUrl: `${strict.url}/v2`,
        apiKey: "right-key",
        http: { fetch: strict.localFetch() },
      });
      expect((await right.health(e.id)).jobs.inQueue).toBe(0);
    } finally {
      await strict.close();
    }
  });
});
