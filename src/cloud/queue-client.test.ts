import { describe, expect, test } from "vitest";
import { isFlashError } from "../shared/errors.ts";
import { QueueClient } from "./queue-client.ts";

/** A fetch that answers from a script, recording each call. */
function scripted(answers: Array<{ status: number; body?: unknown } | Error>) {
  const calls: { url: string; method: string; auth: string | null }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    calls.push({ url, method: init.method ?? "GET", auth: new Headers(init.headers).get("authorization") });
    const next = answers.shift();
    if (!next) throw new Error("no more scripted answers");
    if (next instanceof Error) throw next;
    return new Response(next.body === undefined ? "" : JSON.stringify(next.body), { status: next.status });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, calls };
}

const fast = { retries: 3, baseDelayMs: 1, maxDelayMs: 2 };
const job = { id: "j1", status: "COMPLETED", output: 1 };

describe("QueueClient", () => {
  test("base URL: RUNPOD_API_URL + /v2, else RunPod's", () => {
    expect(new QueueClient({ env: {} }).baseUrl).toBe("https://api.runpod.ai/v2");
    expect(new QueueClient({ env: { RUNPOD_API_URL: "http://127.0.0.1:8787/" } }).baseUrl).toBe(
      "http://127.0.0.1:8787/v2",
    );
  });

  test("status is retried on 503 and 429, then succeeds", async () => {
    const s = scripted([{ status: 503 }, { status: 429 }, { status: 200, body: job }]);
    const c = new QueueClient({ env: {}, apiKey: "k", http: { fetch: s.fetch, retry: fast } });
    expect(await c.status("ep", "j1")).toMatchObject(job);
    expect(s.calls.map((x) => x.url)).toEqual(Array(3).fill("https://api.runpod.ai/v2/ep/status/j1"));
    expect(s.calls[0]!.auth).toBe("Bearer k");
  });

  test("health and cancel are retried on network errors", async () => {
    const health = {
      jobs: { completed: 0, failed: 0, inProgress: 0, inQueue: 0, retried: 0 },
      workers: { idle: 0, running: 0 },
    };
    const s = scripted([
      new TypeError("fetch failed"),
      { status: 200, body: health },
      new TypeError("fetch failed"),
      { status: 200, body: { id: "j1", status: "CANCELLED" } },
    ]);
    const c = new QueueClient({ env: {}, apiKey: "k", http: { fetch: s.fetch, retry: fast } });
    expect(await c.health("ep")).toMatchObject(health);
    expect((await c.cancel("ep", "j1")).status).toBe("CANCELLED");
  });

  test("run is not retried on 503 (it would queue the job twice)", async () => {
    const s = scripted([{ status: 503, body: { error: "overloaded" } }]);
    const c = new QueueClient({ env: {}, apiKey: "k", http: { fetch: s.fetch, retry: fast } });
    const err = await c.run("ep", { input: 1 }).catch((e: unknown) => e);
    expect(isFlashError(err, "RUNPOD_API")).toBe(true);
    expect((err as Error).message).toContain("queue run");
    expect((err as Error).message).toContain("overloaded");
    expect(s.calls).toHaveLength(1);
  });

  test("an answer of the wrong shape is INVALID_DATA naming the field", async () => {
    const s = scripted([{ status: 200, body: { id: "j1", status: "DONE" } }]);
    const c = new QueueClient({ env: {}, apiKey: "k", http: { fetch: s.fetch, retry: fast } });
    const err = await c.status("ep", "j1").catch((e: unknown) => e);
    expect(isFlashError(err, "INVALID_DATA")).toBe(true);
    expect((err as Error).message).toContain("status");
  });

  test("a 401 says the key was rejected without showing it", async () => {
    const s = scripted([{ status: 401 }]);
    const c = new QueueClient({ env: {}, apiKey: "super-secret-key", http: { fetch: s.fetch, retry: fast } });
    const err = (await c.health("ep").catch((e: unknown) => e)) as Error & { hint?: string };
    expect(isFlashError(err, "RUNPOD_AUTH")).toBe(true);
    expect(`${err.message} ${err.hint}`).not.toContain("super-secret-key");
  });
});
