import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, expect, test } from "vitest";

// The worker runtime against a fake platform: the requests it makes are RunPod's worker protocol
// (research/runpod-api.md section 3), independent of the emulator.
const entry = fileURLToPath(new URL("../../dist/runtime/worker.js", import.meta.url));
let child: ChildProcess | undefined;
let server: Server | undefined;
let cache: string | undefined;

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child!.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  }
  server?.closeAllConnections();
  server?.close();
  if (cache) rmSync(cache, { recursive: true, force: true });
  child = server = cache = undefined;
});

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

test("take, done, ping: URLs, params, headers and bodies as RunPod's workers send them", async () => {
  const code = "export function double(input) { return input * 2; }\n";
  const sha256 = createHash("sha256").update(code).digest("hex");
  const seen: Seen[] = [];
  let handedOut = false;
  let resolveDone!: (s: Seen) => void;
  const done = new Promise<Seen>((r) => {
    resolveDone = r;
  });
  let resolvePing!: (s: Seen) => void;
  const pinged = new Promise<Seen>((r) => {
    resolvePing = r;
  });
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      const s: Seen = { method: req.method!, url: req.url!, headers: req.headers, body };
      seen.push(s);
      if (req.url!.includes("/job-take/") && !handedOut) {
        handedOut = true;
        const job = {
          id: "job-1",
          input: {
            __flash__: { v: 1, function: "double", file: "x.ts", bundle: { sha256, code } },
            input: 21,
          },
        };
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(job));
      } else if (req.url!.includes("/job-done/")) {
        res.writeHead(200).end("{}");
        resolveDone(s);
      } else if (req.url!.includes("/ping/")) {
        res.writeHead(200).end("{}");
        resolvePing(s);
      } else if (req.url!.includes("/job-take/") || req.url!.includes("/job-stop/")) {
        // Long polls with nothing to give: answer "no job" after a while, as the platform does.
        setTimeout(() => res.writeHead(204).end(), 200);
      } else res.writeHead(404).end();
    });
  }).listen(0, "127.0.0.1");
  await new Promise((r) => server!.once("listening", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/ep1`;
  cache = mkdtempSync(join(tmpdir(), "flash-runtime-test-"));
  child = spawn(process.execPath, [entry], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      FLASH_CACHE_DIR: cache,
      FLASH_LIVE: "1",
      RUNPOD_WEBHOOK_GET_JOB: `${base}/job-take/$ID?gpu=test`,
      RUNPOD_WEBHOOK_POST_OUTPUT: `${base}/job-done/$RUNPOD_POD_ID/$ID?gpu=test`,
      RUNPOD_WEBHOOK_PING: `${base}/ping/$RUNPOD_POD_ID?gpu=test`,
      RUNPOD_PING_INTERVAL: "200",
      RUNPOD_POD_ID: "worker-7",
      RUNPOD_AI_API_KEY: "ai-key",
    },
    stdio: "inherit",
  });

  const result = await done;
  expect(result.method).toBe("POST");
  expect(result.url).toBe("/v2/ep1/job-done/worker-7/job-1?gpu=test&isStream=false");
  expect(JSON.parse(result.body)).toEqual({ output: 42 });
  expect(result.headers.authorization).toBe("ai-key");
  expect(result.headers["x-request-id"]).toBe("job-1");

  const take = seen.find((s) => s.url.includes("/job-take/"))!;
  expect(take.method).toBe("GET");
  expect(take.url).toBe("/v2/ep1/job-take/worker-7?gpu=test&job_in_progress=0");
  expect(take.headers.authorization).toBe("ai-key");
  expect(seen.some((s) => s.url.startsWith("/v2/ep1/job-stop/worker-7?gpu=test"))).toBe(true);

  const ping = await pinged;
  expect(ping.url).toMatch(/^\/v2\/ep1\/ping\/worker-7\?gpu=test&runpod_version=/);

  const exited = new Promise<number | null>((r) => child!.once("exit", (code) => r(code)));
  child.kill("SIGTERM");
  expect(await exited).toBe(0);
});

test("LB mode: /ping on PORT_HEALTH answers 503 with the reason when the code cannot load", async () => {
  cache = mkdtempSync(join(tmpdir(), "flash-runtime-test-"));
  const free = async () => {
    const s = createServer().listen(0, "127.0.0.1");
    await new Promise((r) => s.once("listening", r));
    const { port } = s.address() as AddressInfo;
    await new Promise((r) => s.close(r));
    return port;
  };
  const [port, health] = [await free(), await free()];
  child = spawn(process.execPath, [entry], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      FLASH_CACHE_DIR: cache,
      FLASH_ENDPOINT_TYPE: "lb",
      FLASH_RESOURCE_NAME: "api",
      FLASH_BUILD_ARTIFACT_PATH: join(cache, "missing.tar.gz"),
      PORT: String(port),
      PORT_HEALTH: String(health),
    },
    stdio: "ignore",
  });
  let res: Response | undefined;
  for (;;) {
    res = await fetch(`http://127.0.0.1:${health}/ping`).catch(() => undefined);
    if (res && res.status !== 204) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(res.status).toBe(503);
  expect(((await res.json()) as { error: string }).error).toContain("artifact not found");
  const route = await fetch(`http://127.0.0.1:${port}/anything`);
  expect(route.status).toBe(503);
});
