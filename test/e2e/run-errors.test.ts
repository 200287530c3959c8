import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FlashProcess, request, type ServedFixture, serveFixture } from "../dev/cli-process.ts";

/** What a stack shown to the user must not contain: the worker's cached bundle or Flash's own code. */
function expectUserStack(stack: string, dir: string, file: string): void {
  expect(stack).toContain(`${join(dir, file)}:`);
  expect(stack).not.toMatch(/\.mjs|runpod-flash|[/\\]dist[/\\]|node:internal/);
}

describe("flash run shows failed calls as the user's source lines", () => {
  let served: ServedFixture | undefined;
  let dir: string;
  let flash: FlashProcess;
  let url: string;

  beforeAll(async () => {
    served = await serveFixture("run-errors");
    ({ dir, flash, url } = served);
  }, 90_000);
  afterAll(() => served?.close());

  it("a throwing QB function: a terminal line with file:line and a code frame, and a mapped stack", async () => {
    const res = await request(`${url}/boom/run_sync`, { json: { input: { n: 5 } } });
    const body = res.body as { status: string; error: string; stack: string };
    // RunPod's shape: HTTP 200, FAILED, and the worker's error as RunPod shows it (a JSON string).
    expect(res.status).toBe(200);
    expect(body.status).toBe("FAILED");
    expect(JSON.parse(body.error)).toMatchObject({ error_type: "Error", error_message: "too big: 5" });
    expectUserStack(body.stack, dir, "boom.ts");
    expect(body.stack).toMatch(/at inner \(.*boom\.ts:6:\d+\)/);

    await flash.waitFor(/✗ POST \/boom\/run_sync explode\(\) failed: too big: 5 \(boom\.ts:6:\d+\)/);
    // Local mode speaks of local endpoints, not live ones.
    expect(flash.output).toMatch(/Provisioned local endpoint live-boom-/);
    expect(flash.output).not.toMatch(/live endpoints?\b(?!-)/);
    await flash.waitFor(/> 6 \| {3}if \(n > 1\) throw new Error\(`too big: \$\{n\}`\);\n +\| +\^/);
  });

  it("a throwing LB handler: the same, for the handler's own line", async () => {
    const res = await request(`${url}/api/web/crash`, { json: {} });
    expect(res.status).toBe(500);
    const body = res.body as { error: string; stack: string };
    expectUserStack(body.stack, dir, "api/web.ts");
    await flash.waitFor(/✗ POST \/api\/web\/crash crash\(\) failed: .*JSON.* \(api\/web\.ts:7:\d+\)/);
    await flash.waitFor(/> 7 \| {3}const parsed = JSON\.parse\("\{not json"\);/);
  });

  it("an LB handler whose QB call failed: the QB function's line, no queue-client frames", async () => {
    const res = await request(`${url}/api/web/via`, { json: { n: 7 } });
    expect(res.status).toBe(500);
    const body = res.body as { error: string; stack: string };
    expect(body.error).toBe("too big: 7");
    expectUserStack(body.stack, dir, "boom.ts");
    await flash.waitFor(/✗ POST \/api\/web\/via viaQb\(\) failed: too big: 7 \(boom\.ts:6:\d+\)/);
  });

  it("a handler's own 4xx is an answer, not a failure: nothing is printed", async () => {
    const before = flash.output.length;
    const res = await request(`${url}/api/web/items/42`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: "no item 42" });
    await request(`${url}/ping`);
    expect(flash.output.slice(before)).not.toContain("✗");
  });
});
