import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { callEndpoint } from "../../src/cloud/queue-call.ts";
import { QueueClient } from "../../src/cloud/queue-client.ts";
import { cutNotice, MAX_LOG_LINE } from "../../src/emulator/log-lines.ts";
import {
  addEndpoint,
  alive,
  bundleFixture,
  call,
  live,
  rejection,
  startEmulator,
  type TestEmulator,
  until,
} from "./helpers.ts";

// Worker processes under the supervisor: crashes, hangs, cancels, scaling. Each test has its own
// endpoint; the emulator (and every process it started) is closed in afterAll, and checked gone.
let emu: TestEmulator;
let bundle: Awaited<ReturnType<typeof bundleFixture>>;
let client: QueueClient;
const seenPids = new Set<number>();

beforeAll(async () => {
  emu = await startEmulator();
  bundle = await bundleFixture("emulator/functions.ts");
  client = new QueueClient({ baseUrl: `${emu.url}/v2`, apiKey: "test-key" });
});

afterAll(async () => {
  for (const pid of emu.supervisor.pids()) seenPids.add(pid);
  await emu.close();
  for (const pid of seenPids) expect(alive(pid), `process ${pid} left running`).toBe(false);
});

/** Runs `fn` synchronously through /runsync and returns RunPod's answer. */
async function runsync(endpointId: string, fn: string, input: unknown = {}) {
  const r = await call(emu, "POST", `/v2/${endpointId}/runsync`, { input: live(bundle, fn, input) });
  expect(r.status).toBe(200);
  for (const pid of emu.supervisor.pids(endpointId)) seenPids.add(pid);
  return r.json;
}

describe("a function that misbehaves costs only its job", () => {
  test("hung function → TIMED_OUT after the endpoint's executionTimeoutMs; the endpoint still serves", async () => {
    const ep = addEndpoint(emu, { executionTimeoutMs: 1500 });
    const hung = await runsync(ep.id, "hangs");
    expect(hung.status).toBe("TIMED_OUT");
    expect(hung.error).toContain("1500 ms");
    expect(hung.executionTime).toBeGreaterThanOrEqual(1500);
    const spinning = await runsync(ep.id, "spins");
    expect(spinning.status).toBe("TIMED_OUT");
    expect((await runsync(ep.id, "add", { a: 1, b: 2 })).output).toBe(3);
  });

  test("policy.executionTimeout overrides the endpoint's", async () => {
    const ep = addEndpoint(emu, { executionTimeoutMs: 600_000 });
    const r = await call(emu, "POST", `/v2/${ep.id}/runsync`, {
      input: live(bundle, "hangs", {}),
      policy: { executionTimeout: 5000 },
    });
    expect(r.json.status).toBe("TIMED_OUT");
    expect(r.json.error).toContain("5000 ms");
  });

  test("process.exit in the function → FAILED; the next job runs", async () => {
    const ep = addEndpoint(emu);
    const r = await runsync(ep.id, "exits");
    expect(r.status).toBe("FAILED");
    expect(r.error).toContain("exited");
    expect((await runsync(ep.id, "add", { a: 2, b: 2 })).output).toBe(4);
  });

  test("an uncaught error thrown from a timer → FAILED with that error", async () => {
    const ep = addEndpoint(emu);
    const err = await rejection(callEndpoint(client, ep.id, live(bundle, "throwsLater", {})));
    expect(err.status).toBe("FAILED");
    expect(err.message).toContain("boom from a timer");
    expect((await runsync(ep.id, "add", { a: 3, b: 2 })).output).toBe(5);
  });

  test("worker killed mid-job → the job fails and a new worker takes the next one", async () => {
    const ep = addEndpoint(emu);
    const run = await client.run(ep.id, { input: live(bundle, "sleeps", { ms: 60_000 }) });
    const job = await until(async () => {
      const s = await client.status(ep.id, run.id);
      return s.status === "IN_PROGRESS" ? s : undefined;
    });
    const [pid] = emu.supervisor.pids(ep.id);
    expect(pid).toBeDefined();
    seenPids.add(pid!);
    process.kill(pid!, "SIGKILL");
    const failed = await client.statusSync(ep.id, run.id, { waitMs: 30_000 });
    expect(failed.status).toBe("FAILED");
    expect(String(failed.error)).toContain("exited unexpectedly");
    const next = await runsync(ep.id, "echo", { again: true });
    expect(next.status).toBe("COMPLETED");
    expect(next.workerId).not.toBe(job.workerId);
    expect(alive(pid!)).toBe(false);
  });

  test("cancel of an in-progress job → CANCELLED; the worker serves the next job", async () => {
    const ep = addEndpoint(emu);
    const run = await client.run(ep.id, { input: live(bundle, "sleeps", { ms: 60_000 }) });
    await until(async () => (await client.status(ep.id, run.id)).status === "IN_PROGRESS");
    const cancelled = await client.cancel(ep.id, run.id);
    expect(cancelled.status).toBe("CANCELLED");
    expect((await client.status(ep.id, run.id)).status).toBe("CANCELLED");
    const next = await runsync(ep.id, "add", { a: 5, b: 5 });
    expect(next.output).toBe(10);
    expect((await client.health(ep.id)).jobs.inProgress).toBe(0);
  });
});

describe("retention", () => {
  test("a result is gone (404) once its retention ends", async () => {
    const short = await startEmulator({ retention: { runMs: 300, runsyncMs: 300 } });
    try {
      const ep = addEndpoint(short, { workersMax: 0 });
      const run = await call(short, "POST", `/v2/${ep.id}/run`, { input: 1 });
      await call(short, "POST", `/v2/${ep.id}/cancel/${run.json.id}`);
      expect((await call(short, "GET", `/v2/${ep.id}/status/${run.json.id}`)).json.status).toBe("CANCELLED");
      await until(
        async () => (await call(short, "GET", `/v2/${ep.id}/status/${run.json.id}`)).status === 404,
      );
    } finally {
      await short.close();
    }
  });
});

describe("output", () => {
  test("console output of a function reaches the emulator's log, prefixed with endpoint and worker", async () => {
    const ep = addEndpoint(emu);
    const r = await runsync(ep.id, "chatty", { line: "hello from the function" });
    expect(r.output).toBe("logged");
    const line = await until(() => emu.logs.find((l) => l.includes("hello from the function (stderr)")));
    expect(line).toContain(`[${ep.name} ${r.workerId}]`);
    await until(() => emu.logs.some((l) => l.endsWith("] hello from the function")));
  });

  test("64 MB printed without a newline: the log keeps its first 64 KB, the next line follows, the emulator still serves", async () => {
    const ep = addEndpoint(emu);
    const r = await runsync(ep.id, "floods", { mb: 64, after: "the line after the flood" });
    expect(r.output).toBe("flooded");
    await until(() => emu.logs.some((l) => l.endsWith(" the line after the flood")));
    // Lengths and booleans, not the line: a failure must not print 64 MB.
    const long = emu.logs.find((l) => l.includes("xxxxxxxx")) ?? "";
    expect(long.length).toBeLessThan(MAX_LOG_LINE + 200);
    expect(long.endsWith(`${"x".repeat(1000)}${cutNotice(64 * 1024 * 1024 - MAX_LOG_LINE)}`)).toBe(true);
    expect((await runsync(ep.id, "add", { a: 1, b: 1 })).output).toBe(2);
  }, 120_000);
});

describe("the account key", () => {
  test("a worker has no RUNPOD_API_KEY unless its template's env sets one, as on RunPod", async () => {
    const bare = addEndpoint(emu);
    expect((await runsync(bare.id, "envVar", { name: "RUNPOD_API_KEY" })).output).toBeNull();
    const keyed = addEndpoint(emu, { env: { RUNPOD_API_KEY: "key-from-the-template" } });
    expect((await runsync(keyed.id, "envVar", { name: "RUNPOD_API_KEY" })).output).toBe(
      "key-from-the-template",
    );
  });

  test("an emulator started with --api-key does not hand that key to its workers", async () => {
    const strict = await startEmulator({ apiKey: "the-account-key" });
    try {
      const ep = addEndpoint(strict);
      const r = await call(
        strict,
        "POST",
        `/v2/${ep.id}/runsync`,
        { input: live(bundle, "envVar", { name: "RUNPOD_API_KEY" }) },
        "the-account-key",
      );
      for (const pid of strict.supervisor.pids()) seenPids.add(pid);
      expect(r.json).toMatchObject({ status: "COMPLETED", output: null });
    } finally {
      await strict.close();
    }
  });
});

describe("scaling", () => {
  test("two concurrent jobs on workersMax 2 run in parallel", async () => {
    const ep = addEndpoint(emu, { workersMax: 2 });
    const [a, b] = await Promise.all([
      runsync(ep.id, "sleeps", { ms: 1500 }),
      runsync(ep.id, "sleeps", { ms: 1500 }),
    ]);
    expect(a.status).toBe("COMPLETED");
    expect(b.status).toBe("COMPLETED");
    // Overlap: each started before the other ended, on two different workers.
    expect(a.output.start).toBeLessThan(b.output.end);
    expect(b.output.start).toBeLessThan(a.output.end);
    expect(a.workerId).not.toBe(b.workerId);
  });

  test("workersMax 1 runs jobs one after the other", async () => {
    const ep = addEndpoint(emu, { workersMax: 1 });
    const [a, b] = await Promise.all([
      runsync(ep.id, "sleeps", { ms: 300 }),
      runsync(ep.id, "sleeps", { ms: 300 }),
    ]);
    const [first, second] = a.output.start < b.output.start ? [a, b] : [b, a];
    expect(second.output.start).toBeGreaterThanOrEqual(first.output.end);
    expect(a.workerId).toBe(b.workerId);
  });

  test("idle workers stop after idleTimeout; workersMin keeps a worker up", async () => {
    const ep = addEndpoint(emu, { workersMax: 1, idleTimeout: 1 });
    await runsync(ep.id, "echo", {});
    const [pid] = emu.supervisor.pids(ep.id);
    seenPids.add(pid!);
    await until(() => emu.supervisor.pids(ep.id).length === 0);
    await until(() => !alive(pid!));
    const h = await client.health(ep.id);
    expect(h.workers.idle + h.workers.running + (h.workers.initializing ?? 0)).toBe(0);

    const warm = addEndpoint(emu, { workersMin: 1, workersMax: 1, idleTimeout: 1 });
    await until(async () => (await client.health(warm.id)).workers.idle === 1);
    for (const p of emu.supervisor.pids(warm.id)) seenPids.add(p);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await client.health(warm.id)).workers.idle).toBe(1);
  });

  test("a worker that dies with no job is replaced to keep workersMin", async () => {
    const ep = addEndpoint(emu, { workersMin: 1, workersMax: 1 });
    await until(async () => (await client.health(ep.id)).workers.idle === 1);
    const [pid] = emu.supervisor.pids(ep.id);
    seenPids.add(pid!);
    process.kill(pid!, "SIGKILL");
    const replacement = await until(() => emu.supervisor.pids(ep.id).find((p) => p !== pid));
    seenPids.add(replacement);
    expect((await runsync(ep.id, "add", { a: 1, b: 1 })).output).toBe(2);
  });

  test("changing the endpoint's template env replaces its workers: the next job sees the new env", async () => {
    const ep = addEndpoint(emu, { env: { GREETING: "hello" } });
    const first = await runsync(ep.id, "envVar", { name: "GREETING" });
    expect(first.output).toBe("hello");
    const template = emu.registry.templates.get(ep.templateId)!;
    const env = template.env.map((e) => (e.key === "GREETING" ? { ...e, value: "bonjour" } : e));
    emu.registry.saveTemplate({ ...template, env });
    const second = await runsync(ep.id, "envVar", { name: "GREETING" });
    expect(second.output).toBe("bonjour");
    expect(second.workerId).not.toBe(first.workerId);
  });

  test("/health shows a running worker and an in-progress job", async () => {
    const ep = addEndpoint(emu);
    const run = await client.run(ep.id, { input: live(bundle, "sleeps", { ms: 60_000 }) });
    await until(async () => (await client.status(ep.id, run.id)).status === "IN_PROGRESS");
    const h = await client.health(ep.id);
    expect(h.jobs.inProgress).toBe(1);
    expect(h.workers.running).toBe(1);
    await client.cancel(ep.id, run.id);
  });

  test("deleting an endpoint stops its worker processes", async () => {
    const ep = addEndpoint(emu, { workersMax: 2 });
    const [a, b] = await Promise.all([
      runsync(ep.id, "echo", { n: 1 }),
      runsync(ep.id, "sleeps", { ms: 500 }),
    ]);
    const pids = [...emu.supervisor.pids(ep.id), a.output.pid, b.output.pid];
    expect(pids.every(alive)).toBe(true);
    const run = await client.run(ep.id, { input: live(bundle, "sleeps", { ms: 60_000 }) });
    emu.registry.deleteEndpoint(ep.id);
    await until(() => pids.every((p) => !alive(p)));
    expect(emu.supervisor.pids(ep.id)).toEqual([]);
    expect((await call(emu, "GET", `/v2/${ep.id}/status/${run.id}`)).status).toBe(404);
  });
});
