import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { c as createTar } from "tar";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LB_PAYLOAD_LIMIT } from "../../src/shared/schemas/job.ts";
import {
  addEndpoint,
  alive,
  bundleFixture,
  call,
  startEmulator,
  type TestEmulator,
  until,
} from "./helpers.ts";

/** POSTs `size` bytes in 1 MB chunks (chunked transfer, no content-length). */
function postChunked(url: string, size: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer k" } },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (d: string) => {
          body += d;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    const chunk = Buffer.alloc(1024 * 1024, 32);
    for (let sent = 0; sent < size; sent += chunk.length) req.write(chunk);
    req.end();
  });
}

// Deployed mode: workers load their resource from a build artifact (the layout src/runtime/artifact.ts
// documents) instead of a live bundle; LB workers serve HTTP routes behind /lb/{endpointId}.
let emu: TestEmulator;
let dir: string;
let artifact: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "flash-artifact-test-"));
  const qb = await bundleFixture("emulator/functions.ts");
  const lb = await bundleFixture("emulator/lb-routes.ts");
  const app = join(dir, "app");
  mkdirSync(join(app, "resources"), { recursive: true });
  writeFileSync(join(app, "resources", "single.mjs"), qb.code);
  writeFileSync(join(app, "resources", "multi.mjs"), qb.code);
  writeFileSync(join(app, "resources", "api.mjs"), lb.code);
  const manifest = {
    version: "1.0",
    project_name: "deployed-test",
    resources: {
      single: { resource_type: "LiveServerless", functions: ["add"], is_load_balanced: false },
      multi: { resource_type: "LiveServerless", functions: ["add", "echo"], is_load_balanced: false },
      api: {
        resource_type: "CpuLiveLoadBalancer",
        is_load_balanced: true,
        functions: [
          { name: "hello", http_method: "GET", http_path: "/hello/{name}" },
          { name: "sum", http_method: "POST", http_path: "/sum" },
          { name: "broken", http_method: "POST", http_path: "/broken" },
        ],
      },
    },
  };
  writeFileSync(join(app, "manifest.json"), JSON.stringify(manifest));
  artifact = join(dir, "artifact.tar.gz");
  await createTar({ gzip: true, file: artifact, cwd: app }, ["manifest.json", "resources"]);
  emu = await startEmulator();
});

afterAll(async () => {
  const pids = emu.supervisor.pids();
  await emu.close();
  for (const pid of pids) expect(alive(pid)).toBe(false);
  rmSync(dir, { recursive: true, force: true });
});

const envFor = (resource: string) => ({ FLASH_RESOURCE_NAME: resource, FLASH_BUILD_ARTIFACT_PATH: artifact });

describe("deployed queue endpoints", () => {
  test("one-function resource: {input: x} calls it with x", async () => {
    const ep = addEndpoint(emu, { env: envFor("single") });
    const r = await call(emu, "POST", `/v2/${ep.id}/runsync`, { input: { a: 40, b: 2 } });
    expect(r.json).toMatchObject({ status: "COMPLETED", output: 42 });
  });

  test("several functions: {input: {function, input}}", async () => {
    const ep = addEndpoint(emu, { env: envFor("multi") });
    const r = await call(emu, "POST", `/v2/${ep.id}/runsync`, {
      input: { function: "echo", input: { hi: 1 } },
    });
    expect(r.json.status).toBe("COMPLETED");
    expect(r.json.output.echoed).toEqual({ hi: 1 });
    const bad = await call(emu, "POST", `/v2/${ep.id}/runsync`, { input: { function: "nope", input: {} } });
    expect(bad.json.status).toBe("FAILED");
    expect(bad.json.error).toContain("add, echo");
    const missing = await call(emu, "POST", `/v2/${ep.id}/runsync`, { input: { a: 1 } });
    expect(missing.json.status).toBe("FAILED");
    expect(missing.json.error).toContain('\\"function\\"');
  });

  test("an unknown resource fails the job with the resources the artifact has", async () => {
    const ep = addEndpoint(emu, { env: envFor("ghost") });
    const r = await call(emu, "POST", `/v2/${ep.id}/runsync`, { input: {} });
    expect(r.json.status).toBe("FAILED");
    expect(r.json.error).toContain("single, multi, api");
  });
});

describe("load-balanced endpoints", () => {
  test("routes from the manifest, path params, query, body, errors", async () => {
    const ep = addEndpoint(emu, { type: "LB", env: envFor("api"), workersMax: 1 });
    const res = await fetch(`${emu.url}/lb/${ep.id}/hello/world?x=1`, {
      headers: { authorization: "Bearer k" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-runpod-worker-id")).toBeTruthy();
    expect(await res.json()).toEqual({ hello: "world", query: { x: "1" } });

    const sum = await call(emu, "POST", `/lb/${ep.id}/sum`, { a: 2, b: 5 });
    expect(sum).toMatchObject({ status: 200, json: { sum: 7 } });
    const broken = await call(emu, "POST", `/lb/${ep.id}/broken`, {});
    expect(broken.status).toBe(500);
    expect(broken.json.error).toContain("lb handler broke");
    expect((await call(emu, "GET", `/lb/${ep.id}/nowhere`)).status).toBe(404);
    expect((await call(emu, "GET", `/lb/${ep.id}/sum`)).status).toBe(405);
    expect((await call(emu, "POST", `/lb/${ep.id}/sum`, "{not json")).status).toBe(400);
    // A chunked body (no content-length for the proxy to refuse) over 30 MB reaches the worker,
    // which answers 413 itself and goes on serving.
    expect(await postChunked(`${emu.url}/lb/${ep.id}/sum`, LB_PAYLOAD_LIMIT + 1024 * 1024)).toMatchObject({
      status: 413,
      body: expect.stringContaining("over the 30 MB limit"),
    });
    expect(await call(emu, "POST", `/lb/${ep.id}/sum`, { a: 1, b: 1 })).toMatchObject({ json: { sum: 2 } });

    // Queue routes on an LB endpoint and LB routes on a queue endpoint are refused.
    expect((await call(emu, "POST", `/v2/${ep.id}/run`, { input: 1 })).status).toBe(400);
    const qb = addEndpoint(emu, { workersMax: 0 });
    const refused = await call(emu, "GET", `/lb/${qb.id}/hello/x`);
    expect(refused).toMatchObject({ status: 400, json: { error: "not allowed for QB API" } });

    const pids = emu.supervisor.pids(ep.id);
    expect(pids.length).toBe(1);
    emu.registry.deleteEndpoint(ep.id);
    await until(() => pids.every((p) => !alive(p)));
  });

  test("an LB worker whose code does not load answers 503 with the reason, quickly", async () => {
    const ep = addEndpoint(emu, { type: "LB", env: envFor("ghost"), workersMax: 1 });
    const r = await call(emu, "GET", `/lb/${ep.id}/anything`);
    expect(r.status).toBe(503);
    expect(r.json.error).toContain('no resource "ghost"');
  });
});
