import { afterEach, describe, expect, test } from "vitest";
import { JobStore } from "../../src/emulator/jobs.ts";
import { until } from "./helpers.ts";

const hooks = {
  queued() {},
  started() {},
  ended() {},
  stop() {},
  canTake: () => true,
  webhook() {},
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("job retention", () => {
  let store: JobStore;
  afterEach(() => store.close());

  test("an ended job stays readable for its retention, /run and /runsync alike, then is gone", async () => {
    store = new JobStore(hooks, { runMs: 150, runsyncMs: 50 });
    const run = store.submit("ep", { input: 1 }, { sync: false, endpointTimeoutMs: 0 });
    const sync = store.submit("ep", { input: 2 }, { sync: true, endpointTimeoutMs: 0 });
    for (const job of [run, sync]) store.done(store.takeNow("ep", "w1")!, "w1", { output: job.input });
    expect(store.get("ep", run.id)?.status).toBe("COMPLETED");
    expect(store.get("ep", sync.id)?.output).toBe(2);
    await until(() => store.get("ep", sync.id) === undefined);
    await until(() => store.get("ep", run.id) === undefined);
  });

  test("a job retried within its retention is kept while it runs again, then retained anew", async () => {
    store = new JobStore(hooks, { runMs: 100, runsyncMs: 100 });
    const job = store.submit("ep", { input: 1 }, { sync: false, endpointTimeoutMs: 0 });
    store.done(store.takeNow("ep", "w1")!, "w1", { error: "broke" });
    expect(job.status).toBe("FAILED");
    expect(store.retry(job)).toBe(true);
    await sleep(300);
    expect(store.get("ep", job.id)?.status).toBe("IN_QUEUE");
    store.done(store.takeNow("ep", "w1")!, "w1", { output: "ok" });
    expect(store.get("ep", job.id)).toMatchObject({ status: "COMPLETED", output: "ok", retries: 1 });
    await until(() => store.get("ep", job.id) === undefined);
  });
});
