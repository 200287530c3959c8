import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FlashProcess, request, type ServedFixture, serveFixture } from "../dev/cli-process.ts";

/** Polls `check` until it returns true (a reload lands asynchronously after a file event). */
async function eventually(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("condition not met in time");
}

describe("flash run hot reload", () => {
  let served: ServedFixture | undefined;
  let dir: string;
  let flash: FlashProcess;
  let url: string;

  beforeAll(async () => {
    served = await serveFixture("run-prd", ["run", "--port", "0"]);
    ({ dir, flash, url } = served);
    // Give the watcher a moment to finish its initial walk.
    await new Promise((r) => setTimeout(r, 500));
  }, 90_000);
  afterAll(() => served?.close());

  it("serves a new file's routes and prints them", async () => {
    await writeFile(
      join(dir, "fresh.ts"),
      `import { CpuLiveServerless, remote } from "runpod-flash";
const cpu = new CpuLiveServerless({ name: "fresh" });
export const ping2 = remote(cpu, async (input: { n: number }) => ({ doubled: input.n * 2 }));
`,
    );
    await eventually(async () => {
      const res = await request(`${url}/fresh/run_sync`, { json: { input: { n: 21 } } });
      return res.status === 200 && (res.body as { output: { doubled: number } }).output.doubled === 42;
    });
    await flash.waitFor(/\+ POST +\/fresh\/run_sync/);
    const server = await readFile(join(dir, ".flash", "server.ts"), "utf8");
    expect(server).toContain("/fresh/run_sync");
  });

  it("serves an edited QB body's new output", async () => {
    const file = join(dir, "gpu_worker.ts");
    const source = await readFile(file, "utf8");
    await writeFile(file, source.replace('result: "processed"', 'result: "processed v2"'));
    await eventually(async () => {
      const res = await request(`${url}/gpu_worker/run_sync`, { json: { input: { prompt: "x" } } });
      return (res.body as { output: { result: string } }).output.result === "processed v2";
    });
    // A QB-only change (and a new QB file before it) does not re-import the LB modules.
    expect((await request(`${url}/api/routes/loads`)).body).toEqual({ loads: 1 });
  });

  it("serves an edited LB handler's new output", async () => {
    const file = join(dir, "api", "routes.ts");
    const source = await readFile(file, "utf8");
    await writeFile(file, source.replace('via: "lb"', 'via: "lb v2"'));
    await eventually(async () => {
      const res = await request(`${url}/api/routes/process`, { json: { text: "q" } });
      return (res.body as { via: string }).via === "lb v2";
    });
    expect((await request(`${url}/api/routes/loads`)).body).toEqual({ loads: 2 });
  });

  it("keeps serving the last good routes when a file breaks, naming file:line", async () => {
    const file = join(dir, "my-worker.ts");
    const good = await readFile(file, "utf8");
    const mark = flash.stderr.length;
    await writeFile(file, `${good}\nexport const broken = (;\n`);
    await eventually(async () => /my-worker\.ts:\d+/.test(flash.stderr.slice(mark)));
    const res = await request(`${url}/my-worker/run_sync`, { json: { input: { word: "still" } } });
    expect(res.body).toMatchObject({ status: "COMPLETED", output: "STILL!" });
    await writeFile(file, good);
    await eventually(
      async () => flash.stdout.includes("Reloaded") && (await request(`${url}/ping`)).status === 200,
    );
  });

  it("keeps serving when an LB module throws at import, naming file:line", async () => {
    const file = join(dir, "api", "routes.ts");
    const good = await readFile(file, "utf8");
    const mark = flash.stderr.length;
    await writeFile(file, `${good}\nthrow new Error("import-time failure");\n`);
    await eventually(async () =>
      /api\/routes\.ts:\d+:\d+.*import-time failure/.test(flash.stderr.slice(mark)),
    );
    const res = await request(`${url}/api/routes/process`, { json: { text: "ok" } });
    expect(res.status).toBe(200);
    const restored = flash.stdout.length;
    await writeFile(file, good);
    await flash.waitFor(/Reloaded/, 20_000, restored);
  });

  it("drops the routes of a removed file", async () => {
    await rm(join(dir, "fresh.ts"));
    await eventually(
      async () => (await request(`${url}/fresh/run_sync`, { json: { input: {} } })).status === 404,
    );
    await flash.waitFor(/- POST +\/fresh\/run_sync +fresh +QB +fresh\.ts:\d+/);
    await flash.waitFor(/^Removed: fresh\.ts$/m);
  });
});
