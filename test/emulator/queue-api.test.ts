import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
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
  call,
  live,
  rejection,
  startEmulator,
  type TestEmulator,
} from "./helpers.ts";

// One emulator and one warm endpoint for the request/response behaviour of the queue API.
let emu: TestEmulator;
let ep: EmulatedEndpoint;
/** An endpoint that never gets a worker (workersMax 0): jobs stay queued. */
let parked: EmulatedEndpoint;
let bundle: Awaited<ReturnType<typeof bundleFixture>>;
let client: QueueClient;

beforeAll(async () => {
  emu = await startEmulator();
  ep = addEndpoint(emu, { workersMax: 1 });
  parked = addEndpoint(emu, { workersMax: 0 });
  bundle = await bundleFixture("emulator/functions.ts");
  client = new QueueClient({ baseUrl: `${emu.url}/v2`, apiKey: "test-key" });
});

afterAll(async () => {
  const pids = emu.supervisor.pids();
  await emu.close();
  for (const pid of pids) expect(alive(pid)).toBe(false);
});

describe("live jobs", () => {
  test("runsync runs the shipped bundle's function and answers RunPod's shape", async () => {
    const r = await call(emu, "POST", `/v2/${ep.id}/runsync`, { input: live(bundle, "add", { a: 2, b: 3 }) });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ status: "COMPLETED", output: 5 });
    expect(r.json.id).toMatch(/^sync-/);
    expect(typeof r.json.delayTime).toBe("number");
    expect(typeof r.json.executionTime).toBe("number");
    expect(typeof r.json.workerId).toBe("string");
  });

  test("a plain exported function is called as it is; undefined becomes null", async () => {
    expect(await callEndpoint(client, ep.id, live(bundle, "plain", { name: "flash" }))).toBe("hello flash");
    expect(await callEndpoint(client, ep.id, live(bundle, "nothing", {}))).toBeNull();
  });

  test("run + status: IN_QUEUE then COMPLETED with timings", async () => {
    const run = await client.run(ep.id, { input: live(bundle, "echo", { n: 1 }) });
    expect(run.status).toBe("IN_QUEUE");
    let status = await client.status(ep.id, run.id);
    while (status.status !== "COMPLETED") status = await client.statusSync(ep.id, run.id, { waitMs: 1000 });
    expect(status.output).toMatchObject({ echoed: { n: 1 } });
    expect(status.executionTime).toBeGreaterThanOrEqual(0);
  });

  test("a throwing function fails the job with its message and stack", async () => {
    const err = await rejection(
      callEndpoint(client, ep.id, live(bundle, "fails", { message: "bad input here" })),
    );
    expect(err).toBeInstanceOf(RemoteExecutionError);
    expect(err.status).toBe("FAILED");
    expect(err.message).toContain("bad input here");
    expect(err.remoteStack).toContain("bad input here");
    expect(err.jobId).toMatch(/^sync-/);
  });

  test("a return value JSON cannot carry fails the job, naming why", async () => {
    const r = await call(emu, "POST", `/v2/${ep.id}/runsync`, { input: live(bundle, "bigint", {}) });
    expect(r.json.status).toBe("FAILED");
    expect(r.json.error).toContain("cannot be sent as JSON");
  });

  test("a result nested too deep to pass on fails the job, and the endpoint serves on", async () => {
    const r = await call(emu, "POST", `/v2/${ep.id}/runsync`, {
      input: live(bundle, "nests", { depth: 1000 }),
    });
    expect(r.status).toBe(200);
    expect(r.json.status).toBe("FAILED");
    expect(r.json.error).toContain("nests deeper than 520 levels");
    const ok = await call(emu, "POST", `/v2/${ep.id}/runsync`, {
      input: live(bundle, "nests", { depth: 500 }),
    });
    expect(ok.json.status).toBe("COMPLETED");
    expect(JSON.stringify(ok.json.output)).toBe(`${"[".repeat(500)}"bottom"${"]".repeat(500)}`);
  });

  test("a streamed chunk nested too deep fails the job too", async () => {
    const r = await call(emu, "POST", `/v2/${ep.id}/runsync`, {
      input: live(bundle, "streamsNested", { depth: 1000 }),
    });
    expect(r.json.status).toBe("FAILED");
    expect(r.json.error).toContain("streamed output cannot be returned");
    expect(r.json.error).toContain("nests deeper than 520 levels");
  });

  test("an unknown export fails with the exports that exist", async () => {
    const r = await call(emu, "POST", `/v2/${ep.id}/runsync`, { input: live(bundle, "missing", {}) });
    expect(r.json.status).toBe("FAILED");
    expect(r.json.error).toContain('no export named \\"missing\\"');
  });

  test("a bundle whose sha256 does not match is refused", async () => {
    const input = live(bundle, "echo", {});
    (input.__flash__ as { bundle: { sha256: string } }).bundle.sha256 = "0".repeat(64);
    const r = await call(emu, "POST", `/v2/${ep.id}/runsync`, { input });
    expect(r.json.status).toBe("FAILED");
    expect(r.json.error).toContain("does not match its sha256");
  });

  test("a generator function streams its values: /stream delivers each once; the output lists them all", async () => {
    const run = await client.run(ep.id, { input: live(bundle, "counts", { n: 3 }) });
    const chunks: unknown[] = [];
    for (;;) {
      const s = await client.stream(ep.id, run.id);
      chunks.push(...s.stream.map((c) => c.output));
      if (s.status === "COMPLETED" && s.stream.length === 0) break;
    }
    expect(chunks).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }]);
    expect((await client.status(ep.id, run.id)).output).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }]);
  });

  test("webhook: the /status payload is POSTed when the job ends", async () => {
    const received = new Promise<unknown>((resolve) => {
      const server = createServer((req, res) => {
        let body = "";
        req.on("data", (c) => {
          body += c;
        });
        req.on("end", () => {
          res.writeHead(200).end();
          server.close();
          resolve(JSON.parse(body));
        });
      }).listen(0, "127.0.0.1");
      server.once("listening", async () => {
        const { port } = server.address() as AddressInfo;
        await client.run(ep.id, {
          input: live(bundle, "add", { a: 1, b: 41 }),
          webhook: `http://127.0.0.1:${port}/hook`,
        });
      });
    });
    expect(await received).toMatchObject({ status: "COMPLETED", output: 42 });
  });

  test("retry requeues a FAILED job under the same id", async () => {
    const r = await call(emu, "POST", `/v2/${ep.id}/runsync`, {
      input: live(bundle, "fails", { message: "again" }),
    });
    expect(r.json.status).toBe("FAILED");
    const retry = await call(emu, "POST", `/v2/${ep.id}/retry/${r.json.id}`);
    expect(retry.json).toEqual({ id: r.json.id, status: "IN_QUEUE" });
    const done = await client.statusSync(ep.id, r.json.id, { waitMs: 30_000 });
    expect(done).toMatchObject({ status: "FAILED", retries: 1 });
    const notFailed = await call(emu, "POST", `/v2/${ep.id}/runsync`, {
      input: live(bundle, "add", { a: 1, b: 1 }),
    });
    expect((await call(emu, "POST", `/v2/${ep.id}/retry/${notFailed.json.id}`)).status).toBe(400);
  });

  test("/health counts jobs and workers", async () => {
    const h = await client.health(ep.id);
    expect(h.jobs.completed).toBeGreaterThan(0);
    expect(h.jobs.failed).toBeGreaterThan(0);
    expect(h.jobs.retried).toBe(1);
    expect(h.workers.idle + h.workers.running).toBe(1);
  });
});

describe("queue without workers", () => {
  test("purge-queue cancels queued jobs and reports how many", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await client.run(parked.id, { input: { i } })).id);
    expect((await client.health(parked.id)).jobs.inQueue).toBe(3);
    expect(await client.purgeQueue(parked.id)).toEqual({ removed: 3, status: "completed" });
    for (const id of ids) expect((await client.status(parked.id, id)).status).toBe("CANCELLED");
    expect((await client.health(parked.id)).jobs.inQueue).toBe(0);
  });

  test("runsync?wait= answers with the job still queued when the wait ends", async () => {
    const r = await call(emu, "POST", `/v2/${parked.id}/runsync?wait=1000`, { input: 1 });
    expect(r.status).toBe(200);
    expect(r.json.status).toBe("IN_QUEUE");
    const cancel = await call(emu, "POST", `/v2/${parked.id}/cancel/${r.json.id}`);
    expect(cancel.json).toMatchObject({ id: r.json.id, status: "CANCELLED" });
  });

  test("payloads over RunPod's limits get 413 (10 MB /run, 20 MB /runsync)", async () => {
    const elevenMb = JSON.stringify({ input: "x".repeat(11 * 1024 * 1024) });
    expect((await call(emu, "POST", `/v2/${parked.id}/run`, elevenMb)).status).toBe(413);
    const accepted = await call(emu, "POST", `/v2/${parked.id}/runsync?wait=1000`, elevenMb);
    expect(accepted.status).toBe(200);
    const big = JSON.stringify({ input: "x".repeat(21 * 1024 * 1024) });
    const r = await call(emu, "POST", `/v2/${parked.id}/runsync`, big);
    expect(r.status).toBe(413);
    expect(r.json.error).toContain("20 MB");
    await client.purgeQueue(parked.id);
  });

  test("the client refuses an oversized payload before sending, naming the limit", async () => {
    const err = await rejection(callEndpoint(client, parked.id, "x".repeat(21 * 1024 * 1024)));
    expect(isFlashError(err, "PAYLOAD_TOO_LARGE")).toBe(true);
    expect(err.message).toContain("20 MB");
    expect((await client.health(parked.id)).jobs.inQueue).toBe(0);
  });

  test("policy.ttl: a job whose TTL ends is gone", async () => {
    // ttl's documented minimum is 10 s; check validation instead of waiting for it.
    const r = await call(emu, "POST", `/v2/${parked.id}/run`, { input: 1, policy: { ttl: 5 } });
    expect(r.status).toBe(400);
    expect(r.json.error).toContain("policy.ttl");
  });

  test("callEndpoint with a timeout cancels the job", async () => {
    const err = await rejection(callEndpoint(client, parked.id, { x: 1 }, { timeoutMs: 1500 }));
    expect(isFlashError(err, "TIMEOUT")).toBe(true);
    const h = await client.health(parked.id);
    expect(h.jobs.inQueue).toBe(0);
  });

  test("callEndpoint with an aborted signal cancels and rejects ABORTED", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const err = await rejection(callEndpoint(client, parked.id, { x: 1 }, { signal: controller.signal }));
    expect(isFlashError(err, "ABORTED")).toBe(true);
  });
});

describe("errors", () => {
  test("unknown endpoint and unknown job: 404 JSON", async () => {
    const a = await call(emu, "POST", "/v2/nope/run", { input: 1 });
    expect(a.status).toBe(404);
    expect(a.json.error).toContain("nope");
    const b = await call(emu, "GET", `/v2/${ep.id}/status/not-a-job`);
    expect(b.status).toBe(404);
    expect((await call(emu, "GET", "/nothing-here")).status).toBe(404);
  });

  test("bad bodies get a 400 with a message and the server keeps serving", async () => {
    const notJson = await call(emu, "POST", `/v2/${parked.id}/run`, "{nope");
    expect(notJson.status).toBe(400);
    expect(notJson.json.error).toContain("JSON");
    const noInput = await call(emu, "POST", `/v2/${parked.id}/run`, { nope: 1 });
    expect(noInput.status).toBe(400);
    expect(noInput.json.error).toContain("input");
    const array = await call(emu, "POST", `/v2/${parked.id}/run`, [1]);
    expect(array.status).toBe(400);
    expect((await call(emu, "GET", `/v2/${parked.id}/run`)).status).toBe(405);
    expect((await call(emu, "GET", `/v2/${parked.id}/health`)).status).toBe(200);
  });

  test("/run with input nested 5,000 deep → 400 at submit; the emulator, its endpoints and jobs live on", async () => {
    const queued = await client.run(parked.id, { input: { keep: 1 } });
    const deep = `{"input":${"[".repeat(5000)}${"]".repeat(5000)}}`;
    for (const route of ["run", "runsync"]) {
      const r = await call(emu, "POST", `/v2/${ep.id}/${route}`, deep);
      expect(r.status).toBe(400);
      expect(r.json.error).toContain("nests deeper than 520 levels");
    }
    // A worker polls ep: had the job been queued, handing it over would have thrown.
    const after = await call(emu, "POST", `/v2/${ep.id}/runsync`, {
      input: live(bundle, "add", { a: 1, b: 1 }),
    });
    expect(after.json).toMatchObject({ status: "COMPLETED", output: 2 });
    expect((await client.status(parked.id, queued.id)).status).toBe("IN_QUEUE");
    expect((await call(emu, "GET", "/")).status).toBe(200);
    await client.purgeQueue(parked.id);
  });

  test("missing key: 401", async () => {
    const res = await fetch(`${emu.url}/v2/${ep.id}/health`);
    expect(res.status).toBe(401);
    const viaQuery = await fetch(`${emu.url}/v2/${ep.id}/health?api_key=abc`);
    expect(viaQuery.status).toBe(200);
  });

  test("client errors name the operation and RunPod's message, never the key", async () => {
    const secret = "sk-very-secret-key";
    const c = new QueueClient({
      baseUrl: `${emu.url}/v2`,
      apiKey: secret,
      http: { retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 1 } },
    });
    const err = await rejection(c.status(ep.id, "missing-job"));
    expect(err.message).toContain("queue status");
    expect(err.message).toContain("not found");
    expect(JSON.stringify({ m: err.message, h: err.hint, s: err.stack })).not.toContain(secret);
  });
});

describe("emulator with --api-key", () => {
  test("only that key is accepted", async () => {
    const strict = await startEmulator({ apiKey: "right-key" });
    try {
      const e = addEndpoint(strict, { workersMax: 0 });
      expect((await call(strict, "GET", `/v2/${e.id}/health`, undefined, "wrong")).status).toBe(401);
      expect((await call(strict, "GET", `/v2/${e.id}/health`, undefined, "right-key")).status).toBe(200);
      const c = new QueueClient({ baseUrl: `${strict.url}/v2`, apiKey: "wrong" });
      const err = await rejection(c.health(e.id));
      expect(isFlashError(err, "RUNPOD_AUTH")).toBe(true);
    } finally {
      await strict.close();
    }
  });
});
