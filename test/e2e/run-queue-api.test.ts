import runpodSdk from "runpod-sdk";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { copyFixture, type FlashProcess, removeDir, request, runFlash, stopAll } from "../dev/cli-process.ts";

/**
 * Every QB prefix of `flash run` is a RunPod endpoint (SPEC section 4): RunPod's official JS client,
 * unchanged, with the dev server as its base URL and the file prefix as endpoint id, in local mode
 * (embedded emulator) and in live mode (against `flash emulator`).
 */
const modes = [
  { mode: "local", args: ["--local"] },
  { mode: "live (flash emulator)", args: ["--live"] },
] as const;

type Job = Record<string, unknown> & { id: string; status: string };

describe.each(modes)("RunPod's queue API under each QB prefix, $mode", ({ args }) => {
  let dir: string;
  let flash: FlashProcess;
  let url: string;

  beforeAll(async () => {
    dir = await copyFixture("run-queue-api");
    let env: NodeJS.ProcessEnv = {};
    if (args[0] === "--live") {
      const emulator = runFlash(dir, ["emulator", "--port", "0"]);
      const apiUrl = (await emulator.waitFor(/listening on (http:\/\/\S+)/, 30_000))[1] as string;
      env = { RUNPOD_API_URL: apiUrl, RUNPOD_API_KEY: "queue-test-key" };
    }
    flash = runFlash(dir, ["run", ...args, "--port", "0", "--no-reload"], env);
    url = await flash.url(60_000);
    // runSync logs its polling with console.log.
    vi.spyOn(console, "log").mockImplementation(() => {});
  }, 120_000);
  afterAll(async () => {
    vi.restoreAllMocks();
    await stopAll();
    await removeDir(dir);
  });

  const endpoint = (id: string) => runpodSdk("any-key", { baseUrl: url }).endpoint(id)!;

  it("run answers IN_QUEUE before a 2 s job ends; status then gives COMPLETED with the output", async () => {
    const cpu = endpoint("workers/cpu");
    const started = Date.now();
    const run = (await cpu.run({ input: { ms: 2000, tag: "queued" } }, 30_000)) as Job;
    expect(run).toEqual({ id: expect.any(String), status: "IN_QUEUE" });
    expect(Date.now() - started).toBeLessThan(2000);
    let status: Job = run;
    for (let i = 0; i < 300 && status.status !== "COMPLETED"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await cpu.status(run.id, 10_000)) as unknown as Job;
    }
    expect(status).toMatchObject({ id: run.id, status: "COMPLETED", output: { done: true, tag: "queued" } });
    expect(status.delayTime).toEqual(expect.any(Number));
    expect(status.executionTime).toEqual(expect.any(Number));
    expect(status.executionTime as number).toBeGreaterThanOrEqual(1900);
    expect(status.workerId).toEqual(expect.any(String));
  }, 60_000);

  it("runSync with a 1 s timeout on a 3 s job returns it unfinished; statusSync then waits for it", async () => {
    const cpu = endpoint("workers/cpu");
    const early = (await cpu.runSync({ input: { ms: 3000 } }, 1000)) as Job;
    expect(early).toMatchObject({ completed: false });
    expect(["IN_QUEUE", "IN_PROGRESS"]).toContain(early.status);
    const done = (await cpu.statusSync(early.id, 30_000)) as unknown as Job;
    expect(done).toMatchObject({ id: early.id, status: "COMPLETED", output: { done: true } });
  }, 60_000);

  it("a failing job resolves FAILED (HTTP 200) with the message", async () => {
    const result = (await endpoint("workers/cpu").runSync(
      { input: { fail: "no GPU today" } },
      30_000,
    )) as Job;
    expect(result).toMatchObject({ status: "FAILED", completed: true, succeeded: false });
    expect(String(result.error)).toContain("no GPU today");
    // The user's .ts line, not the worker's cached bundle.
    expect(String(result.stack)).toContain("workers/cpu.ts:");
    expect(flash.stderr).toContain("no GPU today");
  }, 60_000);

  it("cancel of a running job gives CANCELLED", async () => {
    const cpu = endpoint("workers/cpu");
    const run = (await cpu.run({ input: { ms: 60_000 } })) as Job;
    for (let i = 0; i < 300; i++) {
      if (((await cpu.status(run.id)) as unknown as Job).status === "IN_PROGRESS") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await cpu.cancel(run.id)).toMatchObject({ id: run.id, status: "CANCELLED" });
    expect(await cpu.status(run.id)).toMatchObject({ status: "CANCELLED" });
  }, 60_000);

  it("health, purgeQueue, stream and a multi-function file's prefixes answer RunPod's shapes", async () => {
    const health = await endpoint("workers/cpu").health();
    expect(health.jobs).toMatchObject({
      completed: expect.any(Number),
      failed: expect.any(Number),
      inProgress: expect.any(Number),
      inQueue: expect.any(Number),
    });
    expect(health.workers).toMatchObject({ idle: expect.any(Number), running: expect.any(Number) });
    expect(health.jobs.completed).toBeGreaterThanOrEqual(2);
    expect(await endpoint("tools/upper").purgeQueue()).toEqual({ removed: 0, status: "completed" });
    expect(await endpoint("tools/upper").runSync({ input: { word: "flash" } })).toMatchObject({
      status: "COMPLETED",
      output: "FLASH",
    });
    const counting = endpoint("tools/count");
    const run = (await counting.run({ input: { n: 3 } })) as Job;
    const seen: unknown[] = [];
    for await (const chunk of counting.stream(run.id)) seen.push(chunk);
    expect(seen).toEqual([{ output: { i: 1 } }, { output: { i: 2 } }, { output: { i: 3 } }]);
    // A job is found only under the prefix it was submitted to.
    expect((await request(`${url}/tools/upper/status/${run.id}`)).status).toBe(404);
  }, 60_000);

  it("a job past its execution timeout is TIMED_OUT under one job id, in the answer and in status", async () => {
    const res = await request(`${url}/slow/run_sync`, { json: { input: {} } });
    expect(res.status).toBe(200);
    const job = res.body as Job;
    expect(job.status).toBe("TIMED_OUT");
    expect((await request(`${url}/slow/status/${job.id}`)).body).toMatchObject({
      id: job.id,
      status: "TIMED_OUT",
    });
    await flash.waitFor(/✗ POST \/slow\/run_sync crawl\(\) failed/, 10_000);
  }, 60_000);

  it("the PRD's /run_sync and a body without `input` still work", async () => {
    const res = await request(`${url}/workers/cpu/run_sync`, { json: { tag: "bare" } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "COMPLETED", output: { done: true, tag: "bare" } });
  }, 60_000);
});
