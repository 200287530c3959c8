import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  copyFixture,
  type FlashProcess,
  removeDir,
  request,
  runFlash,
  type ServedFixture,
  serveFixture,
  stopAll,
} from "../dev/cli-process.ts";

describe("flash run on the PRD project shape", () => {
  let served: ServedFixture | undefined;
  let dir: string;
  let flash: FlashProcess;
  let url: string;

  beforeAll(async () => {
    served = await serveFixture("run-prd");
    ({ dir, flash, url } = served);
  }, 90_000);
  afterAll(() => served?.close());

  it("prints the startup table, where QB runs and the docs link", () => {
    const out = flash.stdout;
    expect(out).toMatch(/Local path\s+Resource\s+Type/);
    expect(out).toMatch(/POST +\/gpu_worker\/run\s+gpu_worker\s+QB/);
    expect(out).toMatch(/POST +\/gpu_worker\/run_sync\s+gpu_worker\s+QB/);
    expect(out).toMatch(/POST +\/longruns\/stage1\/stage1_infer\/run_sync\s+longruns_stage1\s+QB/);
    expect(out).toMatch(/POST +\/my-worker\/run\s+my_worker\s+QB/);
    expect(out).toMatch(/GET +\/api\/routes\/items\/\{id\}\s+api_routes\s+LB/);
    expect(out).toMatch(/QB functions execute on: /);
    expect(out).toContain(`Visit ${url}/docs for Swagger UI`);
  });

  it("runs a one-function QB file at {prefix}/run_sync and /run", async () => {
    for (const op of ["run_sync", "runsync"]) {
      const res = await request(`${url}/gpu_worker/${op}`, { json: { input: { prompt: "hi" } } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        status: "COMPLETED",
        output: { result: "processed", input: { prompt: "hi" } },
      });
      const id = (res.body as { id: string }).id;
      const status = await request(`${url}/gpu_worker/status/${id}`);
      expect(status.body).toMatchObject({ id, status: "COMPLETED" });
    }
    // /run queues the job and answers at once, as RunPod does; status-sync waits for it.
    const run = await request(`${url}/gpu_worker/run`, { json: { input: { prompt: "hi" } } });
    expect(run.body).toEqual({ id: expect.any(String), status: "IN_QUEUE" });
    const id = (run.body as { id: string }).id;
    const done = await request(`${url}/gpu_worker/status-sync/${id}?wait=30000`);
    expect(done.body).toMatchObject({ id, status: "COMPLETED", output: { result: "processed" } });
  });

  it("sub-prefixes the functions of a multi-function file in a subfolder", async () => {
    const pre = await request(`${url}/longruns/stage1/stage1_preprocess/run_sync`, {
      json: { input: { text: "  HeLLo " } },
    });
    expect(pre.body).toMatchObject({ status: "COMPLETED", output: { cleaned: "hello" } });
    const infer = await request(`${url}/longruns/stage1/stage1_infer/run_sync`, {
      json: { values: [1, 2, 3] },
    });
    expect(infer.body).toMatchObject({ status: "COMPLETED", output: { sum: 6 } });
  });

  it("answers a throwing QB function as RunPod does: HTTP 200, FAILED and its message", async () => {
    const res = await request(`${url}/longruns/stage1/stage1_fail/run_sync`, { json: { input: {} } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "FAILED" });
    expect((res.body as { error: string }).error).toContain("stage1 exploded on purpose");
  });

  it("serves a hyphenated file at /my-worker", async () => {
    const res = await request(`${url}/my-worker/run_sync`, { json: { input: { word: "hey" } } });
    expect(res.body).toMatchObject({ status: "COMPLETED", output: "HEY!" });
  });

  it("runs an LB handler in-process, and its QB call goes through the dispatcher", async () => {
    const res = await request(`${url}/api/routes/process`, { json: { text: "abc" } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ via: "lb", computed: { length: 3, upper: "ABC" } });
  });

  it("passes path params and query to LB GET handlers", async () => {
    const res = await request(`${url}/api/routes/items/42?color=red`);
    expect(res.body).toEqual({ id: "42", query: { color: "red" }, method: "GET" });
  });

  it("answers a throwing LB handler with 500 and its message", async () => {
    const res = await request(`${url}/api/routes/boom`, { json: {} });
    expect(res.status).toBe(500);
    expect((res.body as { error: string }).error).toBe("lb handler failed on purpose");
  });

  it("serves /, /ping, /openapi.json with per-file tags", async () => {
    expect((await request(`${url}/ping`)).body).toEqual({ status: "healthy" });
    expect((await request(`${url}/`)).body).toEqual({ message: "Flash Dev Server", docs: "/docs" });
    const spec = (await request(`${url}/openapi.json`)).body as {
      paths: Record<string, Record<string, { tags: string[] }>>;
    };
    expect(spec.paths["/gpu_worker/run_sync"]?.post?.tags).toEqual(["gpu_worker [QB]"]);
    expect(spec.paths["/longruns/stage1/stage1_infer/run"]?.post?.tags).toEqual(["longruns/stage1 [QB]"]);
    expect(spec.paths["/api/routes/process"]?.post?.tags).toEqual(["api/routes [LB]"]);
    expect(spec.paths["/my-worker/run"]?.post?.tags).toEqual(["my-worker [QB]"]);
  });

  it("writes a readable .flash/server.ts and gitignores .flash/", async () => {
    const server = await readFile(join(dir, ".flash", "server.ts"), "utf8");
    expect(server).toContain('path: "/gpu_worker/run_sync"');
    expect(server).toContain('from "../longruns/stage1.ts"');
    expect(await readFile(join(dir, ".gitignore"), "utf8")).toBe(".flash/\n");
  });
});

describe("flash run, project edge cases", () => {
  let dir: string | undefined;
  afterEach(async () => {
    await stopAll();
    await removeDir(dir);
    dir = undefined;
  });

  it("serves a folder holding nothing but gpu_worker.ts (no package.json, no install)", async () => {
    dir = await copyFixture("run-single");
    expect(existsSync(join(dir, "package.json"))).toBe(false);
    const flash = runFlash(dir, ["run", "--port", "0", "--no-reload"]);
    const url = await flash.url(60_000);
    const res = await request(`${url}/gpu_worker/run_sync`, { json: { input: { name: "Ada" } } });
    expect(res.body).toMatchObject({ status: "COMPLETED", output: { greeting: "Hello, Ada!" } });
    expect(await flash.stop()).toBe(0);
    expect(flash.stdout).toContain("Server stopped.");
  });

  it("resolves a project's own node_modules (LB and QB) and keeps import.meta.url on the source", async () => {
    dir = await copyFixture("run-single");
    const dep = join(dir, "node_modules", "tiny-dep");
    await mkdir(dep, { recursive: true });
    await writeFile(
      join(dep, "package.json"),
      JSON.stringify({ name: "tiny-dep", type: "module", exports: "./index.js" }),
    );
    await writeFile(join(dep, "index.js"), "export const shout = (s) => s.toUpperCase() + '!';\n");
    await writeFile(join(dir, "greeting.txt"), "hello from a file");
    await writeFile(
      join(dir, "api.ts"),
      `import { readFile } from "node:fs/promises";
import { CpuLiveLoadBalancer, remote } from "runpod-flash";
import { shout } from "tiny-dep";
import { loud } from "./loud";
const api = new CpuLiveLoadBalancer({ name: "api" });
export const read = remote(api, { method: "GET", path: "/read" }, async () => ({
  text: shout(await readFile(new URL("./greeting.txt", import.meta.url), "utf8")),
  viaQb: await loud({ word: "qb" }),
}));
`,
    );
    await writeFile(
      join(dir, "loud.ts"),
      `import { CpuLiveServerless, remote } from "runpod-flash";
import { shout } from "tiny-dep";
const cpu = new CpuLiveServerless({ name: "loud" });
export const loud = remote(cpu, async (input: { word: string }) => shout(input.word));
`,
    );
    const flash = runFlash(dir, ["run", "--port", "0", "--no-reload"]);
    const url = await flash.url(60_000);
    const res = await request(`${url}/api/read`);
    expect(res.body).toEqual({ text: "HELLO FROM A FILE!", viaQb: "QB!" });
  });

  it("exits 1 with usage when the project has no remote functions", async () => {
    dir = await copyFixture("run-empty");
    const flash = runFlash(dir, ["run", "--port", "0"]);
    expect(await flash.exited).toBe(1);
    expect(flash.stderr).toContain("No remote functions found");
    expect(flash.stderr).toContain("remote(");
    expect(flash.stderr).toContain("flash run");
  });

  it("exits 1 naming file:line:column when a file does not build at start-up", async () => {
    dir = await copyFixture("run-single");
    await writeFile(
      join(dir, "gpu_worker.ts"),
      `${await readFile(join(dir, "gpu_worker.ts"), "utf8")}\nexport const x = (;\n`,
    );
    const flash = runFlash(dir, ["run", "--port", "0"]);
    expect(await flash.exited).toBe(1);
    expect(flash.stderr).toMatch(/gpu_worker\.ts:\d+:\d+/);
  });

  it("exits 1 naming file:line when an LB module throws at import at start-up", async () => {
    dir = await copyFixture("run-single");
    await writeFile(
      join(dir, "api.ts"),
      `import { CpuLiveLoadBalancer, remote } from "runpod-flash";
const api = new CpuLiveLoadBalancer({ name: "api" });
export const r = remote(api, { method: "GET", path: "/x" }, async () => 1);
const settings = JSON.parse("{not json");
`,
    );
    const flash = runFlash(dir, ["run", "--port", "0"]);
    expect(await flash.exited).toBe(1);
    expect(flash.stderr).toMatch(/api\.ts:4:\d+: .*JSON/);
  });

  it("appends .flash/ to an existing .gitignore once, not again on a second run", async () => {
    dir = await copyFixture("run-single");
    await writeFile(join(dir, ".gitignore"), "node_modules/");
    for (let i = 0; i < 2; i++) {
      const flash = runFlash(dir, ["run", "--port", "0", "--no-reload"]);
      await flash.url(60_000);
      expect(await flash.stop()).toBe(0);
    }
    expect(await readFile(join(dir, ".gitignore"), "utf8")).toBe("node_modules/\n.flash/\n");
  });

  it("keeps other files in .flash/ and rewrites server.ts", async () => {
    dir = await copyFixture("run-single");
    const flash1 = runFlash(dir, ["run", "--port", "0", "--no-reload"]);
    await flash1.url(60_000);
    await flash1.stop();
    await writeFile(join(dir, ".flash", "server.ts"), "stale");
    await writeFile(join(dir, ".flash", "keep.txt"), "mine");
    const flash2 = runFlash(dir, ["run", "--port", "0", "--no-reload"]);
    await flash2.url(60_000);
    await flash2.stop();
    expect(await readFile(join(dir, ".flash", "keep.txt"), "utf8")).toBe("mine");
    expect(await readFile(join(dir, ".flash", "server.ts"), "utf8")).toContain("/gpu_worker/run_sync");
  });

  it("moves to the next free port when the asked one is taken, and says so", async () => {
    dir = await copyFixture("run-single");
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const flash = runFlash(dir, ["run", "--port", String(taken), "--no-reload"]);
      const url = await flash.url(60_000);
      expect(url).not.toBe(`http://127.0.0.1:${taken}`);
      expect(flash.stdout).toContain(`Port ${taken} is taken`);
      expect((await request(`${url}/ping`)).body).toEqual({ status: "healthy" });
    } finally {
      blocker.close();
    }
  });
});
