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

// `flash run --local` sends its queue calls to its own embedded emulator through `localQueue`, which
// answers them in-process. These tests hold it to the HTTP server's answers and to the queue client's
// behaviour (SPEC section 5) on top of it.
let emu: TestEmulator;
let ep: EmulatedEndpoint;
/** No workers: jobs stay queued. */
let parked: EmulatedEndpoint;
let lb: EmulatedEndpoint;
let bundle: Awaited<ReturnType<typeof bundleFixture>>;
/** The queue client of `flash run --local`: requests carried by `localQueue`. */
let client: QueueClient;
/** The same client over HTTP, for comparison. */
let overHttp: QueueClient;

beforeAll(async () => {
  emu = await startEmulator();
  ep = addEndpoint(emu, { workersMax: 1 });
  parked = addEndpoint(emu, { workersMax: 0 });
  lb = addEndpoint(emu, { workersMax: 0, type: "LB" });
  bundle = await bundleFixture("emulator/functions.ts");
  client = new QueueClient({ baseUrl: `${emu.url}/v2`, apiKey: "test-key", transport: emu.localQueue });
  overHttp = new QueueClient({
    baseUrl: `${emu.url}/v2`,
    apiKey: "test-key",
    http: { retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 1 } },
  });
});

afterAll(async () => {
  const pids = emu.supervisor.pids();
  await emu.close();
  for (const pid of pids) expect(alive(pid)).toBe(false);
});

interface Raw {
  method: "GET" | "POST";
  endpointId: string;
  path: string;
  body?: string;
  apiKey?: string;
}

/** One request both ways: over HTTP (as the queue client sends it) and through `localQueue`. */
async function both(r: Raw) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (r.apiKey) headers.authorization = `Bearer ${r.apiKey}`;
  const res = await fetch(`${emu.url}/v2/${encodeURIComponent(r.endpointId)}${r.path}`, {
    method: r.method,
    headers,
    body: r.body,
  });
  const http = { status: res.status, json: JSON.parse(await res.text()) };
  const answer = await emu.localQueue({ ...r, apiKey: r.apiKey, body: r.body });
  return { http, local: { status: answer.status, json: JSON.parse(answer.text) } };
}

describe("localQueue answers as the HTTP server does", () => {
  const key = "test-key";
  const json = (v: unknown) => JSON.stringify(v);
  const cases: { name: string; raw: () => Raw }[] = [
    { name: "health", raw: () => ({ method: "GET", endpointId: parked.id, path: "/health", apiKey: key }) },
    { name: "no key", raw: () => ({ method: "GET", endpointId: parked.id, path: "/health" }) },
    {
      name: "key as a query parameter",
      raw: () => ({ method: "GET", endpointId: parked.id, path: "/health?api_key=k" }),
    },
    {
      name: "unknown endpoint",
      raw: () => ({
        method: "POST",
        endpointId: "nope",
        path: "/run",
        body: json({ input: 1 }),
        apiKey: key,
      }),
    },
    {
      name: "unknown job",
      raw: () => ({ method: "GET", endpointId: parked.id, path: "/status/not-a-job", apiKey: key }),
    },
    {
      name: "unknown action",
      raw: () => ({ method: "POST", endpointId: parked.id, path: "/walk", body: "{}", apiKey: key }),
    },
    {
      name: "extra path segment",
      raw: () => ({ method: "GET", endpointId: parked.id, path: "/health/more", apiKey: key }),
    },
    {
      name: "missing job id",
      raw: () => ({ method: "POST", endpointId: parked.id, path: "/cancel", body: "{}", apiKey: key }),
    },
    {
      name: "wrong method",
      raw: () => ({ method: "GET", endpointId: parked.id, path: "/run", apiKey: key }),
    },
    {
      name: "not JSON",
      raw: () => ({ method: "POST", endpointId: parked.id, path: "/run", body: "{nope", apiKey: key }),
    },
    {
      name: "empty body",
      raw: () => ({ method: "POST", endpointId: parked.id, path: "/run", body: "", apiKey: key }),
    },
    {
      name: "no input",
      raw: () => ({
        method: "POST",
        endpointId: parked.id,
        path: "/run",
        body: json({ nope: 1 }),
        apiKey: key,
      }),
    },
    {
      name: "array body",
      raw: () => ({ method: "POST", endpointId: parked.id, path: "/runsync", body: "[1]", apiKey: key }),
    },
    {
      name: "bad policy",
      raw: () => ({
        method: "POST",
        endpointId: parked.id,
        path: "/run",
        body: json({ input: 1, policy: { ttl: 5 } }),
        apiKey: key,
      }),
    },
    {
      name: "queue route of an LB endpoint",
      raw: () => ({ method: "POST", endpointId: lb.id, path: "/run", body: json({ input: 1 }), apiKey: key }),
    },
    {
      name: "over the /run limit",
      raw: () => ({
        method: "POST",
        endpointId: parked.id,
        path: "/run",
        body: json({ input: "x".repeat(10.5 * 1024 * 1024) }),
        apiKey: key,
      }),
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const { http, local } = await both(c.raw());
      expect(local).toEqual(http);
    });
  }

  test("run, status, cancel and purge-queue: same states and shapes", async () => {
    const run = await client.run(parked.id, { input: { i: 1 } });
    expect(run).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: "IN_QUEUE" });
    expect(await client.status(parked.id, run.id)).toEqual(await overHttp.status(parked.id, run.id));
    expect(await client.cancel(parked.id, run.id)).toMatchObject({ id: run.id, status: "CANCELLED" });
    expect((await overHttp.status(parked.id, run.id)).status).toBe("CANCELLED");
    await client.run(parked.id, { input: 2 });
    expect(await client.purgeQueue(parked.id)).toEqual({ removed: 1, status: "completed" });
  });

  test("failed requests reject with the same errors as over HTTP", async () => {
    const errors = async (c: QueueClient) =>
      Promise.all([
        rejection(c.status(parked.id, "missing-job")),
        rejection(c.run("nope", { input: 1 })),
        rejection(c.retry(parked.id, (await c.run(parked.id, { input: 1 })).id)),
        rejection(c.run(lb.id, { input: 1 })),
      ]);
    const [local, http] = [await errors(client), await errors(overHttp)];
    const shown = (e: { code: string; message: string; hint?: string }) => [
      e.code,
      e.message.replace(/[0-9a-f-]{36}/g, "<job id>"),
      e.hint,
    ];
    expect(local.map(shown)).toEqual(http.map(shown));
    expect(local[0].message).toContain("not found");
    await client.purgeQueue(parked.id);
  });

  test("the worker protocol is not served in-process (workers speak HTTP)", async () => {
    const answer = await emu.localQueue({
      method: "GET",
      endpointId: parked.id,
      path: "/job-take/w1",
      apiKey: "test-key",
      body: undefined,
    });
    expect(answer.status).toBe(404);
  });

  test("an aborted signal rejects the request", async () => {
    const controller = new AbortController();
    const pending = emu.localQueue({
      method: "POST",
      endpointId: parked.id,
      path: "/runsync?wait=60000",
      apiKey: "test-key",
      body: JSON.stringify({ input: 1 }),
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toThrow();
    const health = {
      method: "GET",
      endpointId: parked.id,
      path: "/health",
      apiKey: "k",
      body: undefined,
    } as const;
    await expect(emu.localQueue({ ...health, signal: AbortSignal.abort() })).rejects.toThrow();
    expect(
      isFlashError(await rejection(client.health(parked.id, { signal: AbortSignal.abort() })), "ABORTED"),
    ).toBe(true);
    await client.purgeQueue(parked.id);
  });
});

describe("the queue client over localQueue (SPEC section 5)", () => {
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
        transport: strict.localQueue,
      });
      expect(isFlashError(await rejection(wrong.health(e.id)), "RUNPOD_AUTH")).toBe(true);
      const right = new QueueClient({
        baseUrl: `${strict.url}/v2`,
        apiKey: "right-key",
        transport: strict.localQueue,
      });
      expect((await right.health(e.id)).jobs.inQueue).toBe(0);
    } finally {
      await strict.close();
    }
  });
});
