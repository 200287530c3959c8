// Worker runtime and emulator benchmark: worker cold start (spawn to first job done) and the warm
// job round trip through the emulator, each beside a bare node:http echo server measured in the same
// run. Run `node scripts/build.mjs` first; this drives the built CLI (`flash emulator`) from dist/.
//
//   node bench/worker.mjs [--seconds 5] [--clients 8] [--cold 5] [--workers 1] [--concurrency 2] [--json]
//
// Also importable: `import { runWorkerBench } from "./bench/worker.mjs"` resolves with the figures.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Targets from the issue: cold start < 200 ms; warm ≥ 2,000 jobs/s with median < 5 ms. */
export const TARGETS = { coldStartMs: 200, warmJobsPerSecond: 2000, warmMedianMs: 5 };

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

export function request(url, { method = "GET", body, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: {
          ...headers,
          ...(body ? { "content-type": "application/json", "content-length": Buffer.byteLength(body) } : {}),
        },
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Starts a process and resolves with the first stdout line matching `pattern`. */
export function startAndWait(args, pattern, env = process.env) {
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stderr.resume();
    child.stdout.on("data", (c) => {
      out += c;
      const m = pattern.exec(out);
      if (m) resolve({ child, match: m });
    });
    child.once("exit", (code) =>
      reject(new Error(`${args.join(" ")} exited with ${code} before printing ${pattern}`)),
    );
  });
}

export function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

const ECHO_SERVER = `
const http = require("node:http");
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, "127.0.0.1", () => console.log("port " + server.address().port));
`;

/** Spawn of a bare node:http server to its first answered request. */
async function bareColdStart() {
  const t0 = performance.now();
  const { child, match } = await startAndWait(["-e", ECHO_SERVER], /port (\d+)/);
  await request(`http://127.0.0.1:${match[1]}/`, { method: "POST", body: "{}" });
  const ms = performance.now() - t0;
  return { ms, child, port: Number(match[1]) };
}

/** Concurrent clients for `seconds`, each sending one request after the other. */
async function load(seconds, clients, send) {
  const latencies = [];
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        await send();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))];
  return { count: latencies.length, perSecond: latencies.length / elapsed, median: q(0.5), p99: q(0.99) };
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function graphql(url, query, variables) {
  const res = await request(`${url}/graphql`, {
    method: "POST",
    body: JSON.stringify({ query, variables }),
    headers: { authorization: "Bearer bench" },
  });
  const body = JSON.parse(res.text);
  if (body.errors) throw new Error(`graphql: ${body.errors[0].message}`);
  return body.data;
}

export async function createEndpoint(url, name, fields) {
  const { saveTemplate } = await graphql(
    url,
    "mutation($input: SaveTemplateInput) { saveTemplate(input: $input) { id } }",
    {
      input: {
        name: `${name}-tpl`,
        imageName: "runpod/flash:bench",
        containerDiskInGb: 5,
        volumeInGb: 0,
        isServerless: true,
        // A live endpoint, as flash run makes it: only its workers run the code a job ships.
        env: [{ key: "FLASH_LIVE", value: "1" }, ...(fields.env ?? [])],
      },
    },
  );
  const { saveEndpoint } = await graphql(
    url,
    "mutation($input: EndpointInput!) { saveEndpoint(input: $input) { id } }",
    {
      input: {
        name,
        templateId: saveTemplate.id,
        workersMin: 0,
        workersMax: fields.workersMax ?? 1,
        idleTimeout: 300,
        executionTimeoutMs: 60000,
        gpuIds: "ANY",
      },
    },
  );
  return saveEndpoint.id;
}

/** Runs the benchmark; resolves with the figures (ms, jobs/s). */
export async function runWorkerBench({
  seconds = 5,
  clients = 8,
  cold = 5,
  workers = 1,
  concurrency = 2,
} = {}) {
  if (!existsSync(join(root, "dist", "runtime", "worker.js"))) {
    throw new Error("dist/ is missing: run `node scripts/build.mjs` first");
  }
  const cacheDir = mkdtempSync(join(tmpdir(), "flash-bench-cache-"));
  const { child: emulator, match } = await startAndWait(
    ["bin/flash.js", "emulator", "--port", "0"],
    /listening on (http:\/\/\S+)/,
    { ...process.env, FLASH_CACHE_DIR: cacheDir },
  );
  const url = match[1];
  const bare = [];
  try {
    const code = "export function echo(input) { return input; }\n";
    const sha256 = createHash("sha256").update(code).digest("hex");
    const job = (n) =>
      JSON.stringify({
        input: {
          __flash__: {
            v: 1,
            function: "echo",
            file: "bench.ts",
            bundle: { sha256, code },
            dependencies: [],
            systemDependencies: [],
          },
          input: { n },
        },
      });
    const auth = { authorization: "Bearer bench" };

    // Cold start: a fresh endpoint (no worker yet) per sample; /runsync makes the supervisor spawn one.
    const coldFlash = [];
    const coldBare = [];
    for (let i = 0; i < cold; i++) {
      const id = await createEndpoint(url, `cold-${i}`, {});
      const t0 = performance.now();
      const res = await request(`${url}/v2/${id}/runsync`, { method: "POST", body: job(i), headers: auth });
      coldFlash.push(performance.now() - t0);
      if (!res.text.includes("COMPLETED")) throw new Error(`cold job failed: ${res.text}`);
      const b = await bareColdStart();
      coldBare.push(b.ms);
      await stop(b.child);
    }

    // Warm: one endpoint, workers already up, `clients` concurrent runsync loops.
    const warmId = await createEndpoint(url, "warm", {
      workersMax: workers,
      env: [{ key: "FLASH_WORKER_CONCURRENCY", value: String(concurrency) }],
    });
    let n = 0;
    const warmSend = async () => {
      const res = await request(`${url}/v2/${warmId}/runsync`, {
        method: "POST",
        body: job(n++),
        headers: auth,
      });
      if (res.status !== 200 || !res.text.includes("COMPLETED"))
        throw new Error(`warm job failed: ${res.status} ${res.text}`);
    };
    await Promise.all(Array.from({ length: clients }, warmSend)); // bring both workers up
    await load(1, clients, warmSend); // warm-up
    const warmFlash = await load(seconds, clients, warmSend);

    const echo = await bareColdStart();
    bare.push(echo.child);
    const body = job(0);
    const bareSend = () => request(`http://127.0.0.1:${echo.port}/`, { method: "POST", body, headers: auth });
    await load(1, clients, bareSend);
    const warmBare = await load(seconds, clients, bareSend);

    return {
      coldStartMs: { flash: median(coldFlash), bare: median(coldBare), samples: cold },
      warm: { flash: warmFlash, bare: warmBare, clients, seconds, workers, concurrency },
    };
  } finally {
    for (const c of bare) await stop(c);
    await stop(emulator);
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

/** For `npm run bench` (bench/run.mjs): the figures as report sections. */
export async function bench() {
  const r = await runWorkerBench();
  const w = r.warm;
  return {
    title: `Worker runtime and emulator: ${w.clients} clients, ${w.workers} worker × ${w.concurrency} slots, ${w.seconds} s`,
    rows: [
      [
        "worker cold start, spawn → first job done (median)",
        r.coldStartMs.flash,
        `< ${TARGETS.coldStartMs} ms`,
      ],
      ["baseline: bare node:http, spawn → first response", r.coldStartMs.bare, "floor"],
      [
        "warm runsync round trip through the emulator (median)",
        w.flash.median,
        `< ${TARGETS.warmMedianMs} ms`,
      ],
      [
        "warm runsync throughput",
        `${w.flash.perSecond.toFixed(0)} jobs/s`,
        `≥ ${TARGETS.warmJobsPerSecond} jobs/s`,
      ],
      ["baseline: bare node:http echo (median)", w.bare.median, "floor"],
      ["baseline: bare node:http echo throughput", `${w.bare.perSecond.toFixed(0)} req/s`, "floor"],
    ],
  };
}

function printTable(r) {
  const f = (x, d = 1) => x.toFixed(d);
  const ok = (pass) => (pass ? "ok" : "MISSED");
  const rows = [
    ["measure", "flash", "bare node:http", "target", ""],
    [
      "cold start, spawn → first job done (median)",
      `${f(r.coldStartMs.flash)} ms`,
      `${f(r.coldStartMs.bare)} ms`,
      `< ${TARGETS.coldStartMs} ms`,
      ok(r.coldStartMs.flash < TARGETS.coldStartMs),
    ],
    [
      `warm round trip, ${r.warm.clients} clients, ${r.warm.workers}×${r.warm.concurrency} slots (median)`,
      `${f(r.warm.flash.median, 2)} ms`,
      `${f(r.warm.bare.median, 2)} ms`,
      `< ${TARGETS.warmMedianMs} ms`,
      ok(r.warm.flash.median < TARGETS.warmMedianMs),
    ],
    ["warm round trip (p99)", `${f(r.warm.flash.p99, 2)} ms`, `${f(r.warm.bare.p99, 2)} ms`, "", ""],
    [
      "warm throughput",
      `${f(r.warm.flash.perSecond, 0)} jobs/s`,
      `${f(r.warm.bare.perSecond, 0)} req/s`,
      `≥ ${TARGETS.warmJobsPerSecond} jobs/s`,
      ok(r.warm.flash.perSecond >= TARGETS.warmJobsPerSecond),
    ],
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows) console.log(row.map((c, i) => c.padEnd(widths[i])).join("  "));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name, def) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : def;
  };
  const result = await runWorkerBench({
    seconds: arg("seconds", 5),
    clients: arg("clients", 8),
    cold: arg("cold", 5),
    workers: arg("workers", 1),
    concurrency: arg("concurrency", 2),
  });
  if (process.argv.includes("--json")) console.log(JSON.stringify(result, null, 2));
  else printTable(result);
}
