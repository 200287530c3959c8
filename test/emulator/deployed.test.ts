import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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
  live,
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
  writeFileSync(join(app, "resources", "echoer.mjs"), qb.code);
  writeFileSync(join(app, "resources", "api.mjs"), lb.code);
  const manifest = {
    version: "1.0",
    project_name: "deployed-test",
    resources: {
      single: { resource_type: "LiveServerless", functions: ["add"], is_load_balanced: false },
      multi: { resource_type: "LiveServerless", functions: ["add", "echo"], is_load_balanced: false },
      echoer: { resource_type: "LiveServerless", functions: ["echo"], is_load_balanced: false },
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
    expect(r.json.error).toContain("single, multi, echoer, api");
  });
});

describe("code sent in a job", () => {
  /** A live-job envelope whose code, if it ran, would leave a file and answer with the worker's env. */
  function hostileInput() {
    const marker = join(dir, `ran-${Math.random().toString(36).slice(2)}`);
    const code = `import { writeFileSync } from "node:fs";
export function echo() { writeFileSync(${JSON.stringify(marker)}, "ran"); return { env: process.env }; }
`;
    const input = live(
      { code, sha256: createHash("sha256").update(code).digest("hex"), file: "x.ts" },
      "echo",
      1,
    );
    return { marker, input };
  }

  test("a deployed one-function endpoint passes a __flash__ envelope to its function as data", async () => {
    const ep = addEndpoint(emu, { env: envFor("echoer") });
    const { marker, input } = hostileInput();
    const r = await call(emu, "POST", `/v2/${ep.id}/runsync`, { input });
    expect(r.json.status, r.text).toBe("COMPLETED");
    expect(r.json.output.echoed).toEqual(input);
    expect(r.json.output.env).toBeUndefined();
    expect(existsSync(marker)).toBe(false);
    expect((await call(emu, "GET", `/v2/${ep.id}/health`)).status).toBe(200);
  });

  test("a deployed several-function endpoint does too, inside {function, input}", async () => {
    const ep = addEndpoint(emu, { env: envFor("multi") });
    const { marker, input } = hostileInput();
    const r = await call(emu, "POST", `/v2/${ep.id}/runsync`, { input: { function: "echo", input } });
    expect(r.json.status, r.text).toBe("COMPLETED");
    expect(r.json.output.echoed).toEqual(input);
    // The envelope at the top level is no function selector: refused, and nothing ran.
    const top = await call(emu, "POST", `/v2/${ep.id}/runsync`, { input });
    expect(top.json.status).toBe("FAILED");
    expect(top.json.error).toContain('\\"function\\"');
    expect(existsSync(marker)).toBe(false);
    expect((await call(emu, "GET", `/v2/${ep.id}/health`)).status).toBe(200);
  });

  test("a worker that is neither deployed nor live fails the job, saying why, and runs nothing", async () => {
    const ep = addEndpoint(emu, { env: { FLASH_LIVE: "0" } });
    const { marker, input } = hostileInput();
    const r = await call(emu, "POST", `/v2/${ep.id}/runsync`, { input });
    expect(r.json.status).toBe("FAILED");
    expect(r.json.error).toContain("neither a deployed endpoint");
    expect(existsSync(marker)).toBe(false);
    expect((await call(emu, "GET", `/v2/${ep.id}/health`)).status).toBe(200);
  });

  test("a live endpoint still runs the code its jobs ship", async () => {
    const ep = addEndpoint(emu);
    const { marker, input } = hostileInput();
    const r = await call(emu, "POST", `/v2/${ep.id}/runsync`, { input });
    expect(r.json.status, r.text).toBe("COMPLETED");
    expect(existsSync(marker)).toBe(true);
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
      body: expect.stringContaining("over 30 MB"),
    });
    expect(await call(emu, "POST", `/lb/${ep.id}/sum`, { a: 1, b: 1 })).toMatchObject({ json: { sum: 2 } });
    // A body nested 5,000 deep is refused before it is parsed, and the same worker serves on.
    const workers = emu.supervisor.pids(ep.id);
    const deep = await call(emu, "POST", `/lb/${ep.id}/sum`, `{"a":${"[".repeat(5000)}${"]".repeat(5000)}}`);
    expect(deep).toMatchObject({
      status: 400,
      json: { error: expect.stringContaining("deeper than 512 levels") },
    });
    expect(await call(emu, "POST", `/lb/${ep.id}/sum`, { a: 2, b: 2 })).toMatchObject({ json: { sum: 4 } });
    expect(emu.supervisor.pids(ep.id)).toEqual(workers);

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
