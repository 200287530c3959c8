import { cp, mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { REPO, removeDir, request, runFlash, stopAll } from "../dev/cli-process.ts";

let dirs: string[] = [];
afterEach(async () => {
  await stopAll();
  await Promise.all(dirs.map(removeDir));
  dirs = [];
});

/** Copies an example to a temp folder (flash run writes .flash/ and .gitignore) and serves it. */
async function serveExample(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `flash-example-${name}-`));
  dirs.push(dir);
  await cp(join(REPO, "examples", name), dir, { recursive: true });
  const proc = runFlash(dir, ["run", "--local", "--port", "0", "--no-reload"]);
  return proc.url(60_000);
}

describe("examples serve under flash run --local with the documented outputs", () => {
  it("has a test for every example folder", async () => {
    const names = (await readdir(join(REPO, "examples"), { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(names).toEqual([
      "00_multi_resource",
      "00_standalone_worker",
      "01_hello_world",
      "02_cpu_worker",
      "03_multi_function",
      "04_lb_api",
      "05_dependencies",
    ]);
  });

  it("01_hello_world", async () => {
    const url = await serveExample("01_hello_world");
    const r = await request(`${url}/hello/run_sync`, { json: { input: { name: "Flash" } } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: "COMPLETED", output: { message: "Hello, Flash!" } });
  });

  it("00_standalone_worker", async () => {
    const url = await serveExample("00_standalone_worker");
    const r = await request(`${url}/gpu_worker/run_sync`, { json: { input: { prompt: "hi" } } });
    expect(r.body).toMatchObject({
      status: "COMPLETED",
      output: { result: "processed", input: { prompt: "hi" } },
    });
    // /run queues and answers at once (RunPod's semantics); /status-sync waits for the result.
    const run = await request(`${url}/gpu_worker/run`, { json: { input: { prompt: "again" } } });
    expect(run.body).toEqual({ id: expect.any(String), status: "IN_QUEUE" });
    const done = await request(`${url}/gpu_worker/status-sync/${(run.body as { id: string }).id}?wait=30000`);
    expect(done.body).toMatchObject({ status: "COMPLETED", output: { input: { prompt: "again" } } });
  });

  it("00_multi_resource: the LB route orchestrates both QB workers", async () => {
    const url = await serveExample("00_multi_resource");
    const r = await request(`${url}/api/pipeline/process`, { json: { text: "Hello Flash" } });
    expect(r.status).toBe(200);
    const body = r.body as { tokens: string[]; dims: number; vectors: number[][] };
    expect(body.tokens).toEqual(["hello", "flash"]);
    expect(body.dims).toBe(8);
    expect(body.vectors).toHaveLength(2);
    expect((await request(`${url}/api/pipeline/health`)).body).toEqual({ status: "ok" });
    const tok = await request(`${url}/workers/cpu/run_sync`, { json: { input: { text: "A b" } } });
    expect(tok.body).toMatchObject({ output: { tokens: ["a", "b"] } });
  });

  it("02_cpu_worker", async () => {
    const url = await serveExample("02_cpu_worker");
    const r = await request(`${url}/cpu_worker/run_sync`, { json: { input: { limit: 100 } } });
    expect(r.body).toMatchObject({ status: "COMPLETED", output: { limit: 100, count: 25 } });
  });

  it("03_multi_function: sub-prefixed routes per function", async () => {
    const url = await serveExample("03_multi_function");
    const count = await request(`${url}/text_tools/wordCount/run_sync`, {
      json: { input: { text: "one two three" } },
    });
    expect(count.body).toMatchObject({ output: { words: 3 } });
    const upper = await request(`${url}/text_tools/upper/run_sync`, { json: { input: { text: "abc" } } });
    expect(upper.body).toMatchObject({ output: { text: "ABC" } });
    const rev = await request(`${url}/text_tools/reverse/run_sync`, { json: { input: { text: "abc" } } });
    expect(rev.body).toMatchObject({ output: { text: "cba" } });
    expect((await request(`${url}/text_tools/run_sync`, { json: { input: {} } })).status).toBe(404);
  });

  it("04_lb_api: methods and path params", async () => {
    const url = await serveExample("04_lb_api");
    const created = await request(`${url}/todos`, { json: { title: "ship it" } });
    expect(created.body).toEqual({ id: "1", title: "ship it", done: false });
    const updated = await request(`${url}/todos/1`, { method: "PUT", json: { done: true } });
    expect(updated.body).toEqual({ id: "1", title: "ship it", done: true });
    expect((await request(`${url}/todos/1`)).body).toEqual({ id: "1", title: "ship it", done: true });
    expect((await request(`${url}/todos?done=true`)).body).toEqual([
      { id: "1", title: "ship it", done: true },
    ]);
    expect((await request(`${url}/todos?done=false`)).body).toEqual([]);
    expect((await request(`${url}/todos/1`, { method: "DELETE" })).body).toEqual({ deleted: true });
    expect((await request(`${url}/todos/1`)).body).toEqual({ error: "not found", id: "1" });
  });

  it("05_dependencies: the worker installs the npm dependency", async () => {
    const url = await serveExample("05_dependencies");
    const r = await request(`${url}/slug_worker/run_sync`, {
      json: { input: { title: "Hello, Flash World!" } },
    });
    expect(r.body).toMatchObject({ status: "COMPLETED", output: { slug: "hello-flash-world" } });
  }, 180_000);
});
