// Benchmarks of `flash run` (run after `node scripts/build.mjs`):
//   1. start-up to first /ping for a generated 10-file project        target ≤ 1 s
//   2. reload latency, file saved → its new route served (median)      target ≤ 200 ms
//   3. LB route throughput vs a bare node:http JSON echo server        target ≥ 70 %
//   4. QB run_sync through a warm local worker                         target ≥ 2,000 req/s
// Each server runs in its own process; load comes from a separate keep-alive client process.
// Usage: node bench/devserver.mjs [--seconds 5] [--connections 32] [--only startup|reload|lb|qb]
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(REPO, "bin", "flash.js");
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const runDirectly = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
const SECONDS = runDirectly ? opt("seconds", 5) : 5;
const CONNECTIONS = runDirectly ? opt("connections", 32) : 32;
/** Connections for the QB target row (see measureQb). */
const QB_CONNECTIONS = 8;
/** Runs one measurement only (`--only qb`); all four by default. */
const ONLY = runDirectly && args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;
const runs = (name) => ONLY === undefined || ONLY === name;
const children = new Set();

process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});

function spawnTracked(argv, options) {
  const child = spawn(process.execPath, argv, { stdio: ["ignore", "pipe", "pipe"], ...options });
  children.add(child);
  child.on("exit", () => children.delete(child));
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d) => (out += d));
  child.stderr.setEncoding("utf8").on("data", (d) => (out += d));
  child.output = () => out;
  return child;
}

async function stop(child) {
  if (child.exitCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await new Promise((r) => child.on("exit", r));
  clearTimeout(timer);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitForUrl(child, pattern, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const m = child.output().match(pattern);
    if (m) return m[1];
    if (child.exitCode !== null) throw new Error(`process exited:\n${child.output()}`);
    await sleep(2);
  }
  throw new Error(`timeout waiting for ${pattern}:\n${child.output()}`);
}

const QB_FILE = (i) => `import { CpuLiveServerless, remote } from "runpod-flash";
const cpu = new CpuLiveServerless({ name: "worker_${i}" });
export const work${i} = remote(cpu, async (input: { n: number }) => ({ n: input.n, worker: ${i} }));
`;
const LB_FILE = (i) => `import { CpuLiveLoadBalancer, remote } from "runpod-flash";
const api = new CpuLiveLoadBalancer({ name: "api_${i}" });
export const echo = remote(api, { method: "POST", path: "/echo" }, async (body: unknown) => body);
export const hello = remote(api, { method: "GET", path: "/hello" }, async () => ({ hello: ${i} }));
`;

async function makeProject() {
  const dir = await mkdtemp(join(tmpdir(), "flash-bench-"));
  await mkdir(join(dir, "workers"), { recursive: true });
  await mkdir(join(dir, "api"), { recursive: true });
  for (let i = 0; i < 8; i++) await writeFile(join(dir, "workers", `w${i}.ts`), QB_FILE(i));
  for (let i = 0; i < 2; i++) await writeFile(join(dir, "api", `r${i}.ts`), LB_FILE(i));
  return dir;
}

async function startFlash(dir, extra = []) {
  const t0 = performance.now();
  const child = spawnTracked([BIN, "run", "--port", "0", ...extra], {
    cwd: dir,
    env: { ...process.env, FORCE_COLOR: "0", FLASH_DEBUG_TIMING: "1" },
  });
  const url = await waitForUrl(child, /Flash Dev Server {2}(http:\/\/\S+)/);
  for (;;) {
    try {
      const res = await fetch(`${url}/ping`);
      if (res.ok) break;
    } catch {}
    await sleep(1);
  }
  const startupMs = performance.now() - t0;
  // The server's own view: process start (as Node counts it) to listening.
  const out = child.output();
  const up = Number(/process up (\d+) ms/.exec(out)?.[1] ?? Number.NaN);
  const listening = Number(/listening at (\d+) ms/.exec(out)?.[1] ?? Number.NaN);
  return { child, url, startupMs, listeningMs: up + listening };
}

// The load generator: CONNECTIONS keep-alive loops for SECONDS, counting 2xx responses.
const LOADGEN = `
import http from "node:http";
const [url, body, seconds, connections, method] = JSON.parse(process.argv[1]);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const u = new URL(url);
let ok = 0, bad = 0;
const end = Date.now() + seconds * 1000;
const one = () => new Promise((resolve) => {
  const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method, agent,
    headers: body ? { "content-type": "application/json", "content-length": Buffer.byteLength(body) } : {} }, (res) => {
    res.resume();
    res.on("end", () => { if (res.statusCode < 300) ok++; else bad++; resolve(); });
  });
  req.on("error", () => { bad++; resolve(); });
  req.end(body || undefined);
});
const loop = async () => { while (Date.now() < end) await one(); };
const t0 = Date.now();
await Promise.all(Array.from({ length: connections }, loop));
console.log(JSON.stringify({ ok, bad, rps: ok / ((Date.now() - t0) / 1000) }));
agent.destroy();
`;

const WRK = ["/usr/bin/wrk", "/usr/local/bin/wrk"].find((p) => existsSync(p));

async function load(url, body, method = "POST") {
  // Warm-up (JIT, keep-alive sockets), then the measured run.
  await runLoad(url, body, method, 1);
  return runLoad(url, body, method, SECONDS);
}

/** wrk when installed (a C client drives a server harder than a Node one on 2 cores), else Node. */
async function runLoad(url, body, method, seconds, connections = CONNECTIONS) {
  if (WRK) {
    const script = join(tmpdir(), `flash-bench-${process.pid}.lua`);
    await writeFile(
      script,
      `wrk.method = ${JSON.stringify(method)}\n` +
        (body
          ? `wrk.body = ${JSON.stringify(body)}\nwrk.headers["Content-Type"] = "application/json"\n`
          : ""),
    );
    const child = spawn(WRK, ["-t1", `-c${connections}`, `-d${seconds}s`, "--latency", "-s", script, url], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (out += d));
    await new Promise((r) => child.on("exit", r));
    await rm(script, { force: true });
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
    const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
    const bad = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
    const p50 = /\s50%\s+([\d.]+)(us|ms|s)\b/.exec(out);
    const medianMs = p50 ? Number(p50[1]) * { us: 0.001, ms: 1, s: 1000 }[p50[2]] : undefined;
    return { rps, requests, bad, medianMs, client: "wrk" };
  }
  const child = spawnTracked([
    "--input-type=module",
    "-e",
    LOADGEN,
    JSON.stringify([url, body, seconds, connections, method]),
  ]);
  await new Promise((r) => child.on("exit", r));
  const result = JSON.parse(child.output().trim().split("\n").pop());
  return { ...result, requests: result.ok + result.bad, client: "node" };
}

/** CPU time (user + system, µs) of a process and of its children that run `match`, from /proc (Linux). */
function cpuOf(pid, match) {
  const read = (p) => {
    const fields = readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1].split(" ");
    return ((Number(fields[11]) + Number(fields[12])) / 100) * 1e6;
  };
  try {
    const children = execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(pid)], { encoding: "utf8" })
      .split("\n")
      .filter((line) => line.includes(match))
      .map((line) => Number(line.trim().split(/\s+/)[0]));
    let childrenUs = 0;
    for (const c of children) childrenUs += read(c);
    return { selfUs: read(pid), childrenUs, children: children.length };
  } catch {
    return undefined;
  }
}

const BARE = `
import http from "node:http";
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = JSON.parse(Buffer.concat(chunks).toString() || "{}");
    const out = JSON.stringify(body);
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(out) });
    res.end(out);
  });
});
server.listen(0, "127.0.0.1", () => console.log("bare http://127.0.0.1:" + server.address().port));
`;

/**
 * Runs the four measurements; `report` receives each as (name, value, target, pass).
 * @returns the results, in order
 */
export async function runDevServerBench(onResult = () => {}) {
  const results = [];
  const report = (name, value, target, pass) => {
    results.push({ name, value, target, pass });
    onResult(name, value, target, pass);
  };
  const dir = await makeProject();
  try {
    if (runs("startup")) await measureStartup(dir, report);
    const { child, url } = await startFlash(dir);
    if (runs("reload")) await measureReload(dir, child, url, report);
    if (runs("lb")) await measureLb(url, report);
    if (runs("qb")) await measureQb(child, url, report);
    await stop(child);
  } finally {
    for (const c of children) await stop(c);
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}

/** 1. Start-up: three runs, median. */
async function measureStartup(dir, report) {
  const startups = [];
  const listenings = [];
  for (let i = 0; i < 3; i++) {
    const { child, startupMs, listeningMs } = await startFlash(dir, ["--no-reload"]);
    startups.push(startupMs);
    listenings.push(listeningMs);
    await stop(child);
  }
  startups.sort((a, b) => a - b);
  listenings.sort((a, b) => a - b);
  const startup = startups[1];
  report(
    "start-up to first /ping (10 files, median of 3)",
    `${startup.toFixed(0)} ms (spawn → /ping answered; inside the process, start → listening: ${listenings[1].toFixed(0)} ms)`,
    "≤ 1000 ms",
    startup <= 1000,
  );
}

/** 2. Reload latency: a new LB file per round; poll its route until served. */
async function measureReload(dir, child, url, report) {
  await sleep(500);
  const latencies = [];
  for (let i = 0; i < 10; i++) {
    const route = `${url}/api/new${i}/hello`;
    const t0 = performance.now();
    await writeFile(join(dir, "api", `new${i}.ts`), LB_FILE(100 + i));
    for (;;) {
      const res = await fetch(route).catch(() => undefined);
      if (res?.ok) break;
      await sleep(2);
      if (performance.now() - t0 > 10_000)
        throw new Error(`reload ${i} not served in 10 s:\n${child.output()}`);
    }
    latencies.push(performance.now() - t0);
    await sleep(100);
  }
  latencies.sort((a, b) => a - b);
  const median = (latencies[4] + latencies[5]) / 2;
  report(
    "reload, save → new route served (median of 10)",
    `${median.toFixed(0)} ms (min ${latencies[0].toFixed(0)}, max ${latencies[9].toFixed(0)})`,
    "≤ 200 ms",
    median <= 200,
  );
}

/** 3. LB throughput vs bare node:http, same payload, same client. */
async function measureLb(url, report) {
  const payload = JSON.stringify({ text: "hello", n: 42, tags: ["a", "b"] });
  const bare = spawnTracked(["--input-type=module", "-e", BARE]);
  const bareUrl = await waitForUrl(bare, /bare (http:\/\/\S+)/);
  // Alternate the two and keep each one's best round: the machine is shared, and a burst of other
  // work during one round should not decide the ratio.
  let bareResult = { rps: 0, bad: 0, client: "" };
  let lbResult = { rps: 0, bad: 0, client: "" };
  for (let round = 0; round < 2; round++) {
    const b = await load(`${bareUrl}/echo`, payload);
    if (b.rps > bareResult.rps) bareResult = b;
    const l = await load(`${url}/api/r0/echo`, payload);
    if (l.rps > lbResult.rps) lbResult = l;
  }
  await stop(bare);
  const ratio = lbResult.rps / bareResult.rps;
  report(
    "LB route throughput vs bare node:http echo",
    `${lbResult.rps.toFixed(0)} vs ${bareResult.rps.toFixed(0)} req/s = ${(ratio * 100).toFixed(0)}% (${lbResult.client}, ${CONNECTIONS} connections, ${SECONDS} s, best of 2; errors ${lbResult.bad}/${bareResult.bad})`,
    "≥ 70%",
    ratio >= 0.7,
  );
}

/** 4. QB run_sync through a warm local worker. */
async function measureQb(child, url, report) {
  const warm = await fetch(`${url}/workers/w0/run_sync`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ input: { n: 1 } }),
  }).then((r) => r.json());
  if (warm.status !== "COMPLETED") {
    report(
      "QB run_sync through a warm local worker",
      `not measured: ${JSON.stringify(warm).slice(0, 200)}`,
      "≥ 2000 req/s",
      false,
    );
  } else {
    const target = `${url}/workers/w0/run_sync`;
    const body = JSON.stringify({ input: { n: 1 } });
    // The target pairs ≥ 2,000 req/s with a median under 5 ms; with a fixed number of connections
    // the mean latency is connections ÷ throughput, so both can hold only below ~10 connections.
    // Measured at 8 (the target's row) and at the LB section's connection count (for saturation).
    for (const connections of [QB_CONNECTIONS, CONNECTIONS]) {
      // Warm-up (JIT, keep-alive sockets, the endpoint's workers scaled up), then the measured run,
      // with the CPU time the dev process and its workers spent on it.
      await runLoad(target, body, "POST", 1, connections);
      const before = cpuOf(child.pid, "runtime/worker.js");
      const qb = await runLoad(target, body, "POST", SECONDS, connections);
      const after = cpuOf(child.pid, "runtime/worker.js");
      const perCall = (a, b) => (qb.requests > 0 ? ((b - a) / qb.requests).toFixed(0) : "?");
      const cpu =
        before && after && after.children === before.children
          ? `; CPU per call: dev process ${perCall(before.selfUs, after.selfUs)} µs, its ${after.children} worker(s) ${perCall(before.childrenUs, after.childrenUs)} µs`
          : "";
      const median = qb.medianMs === undefined ? "" : `, median ${qb.medianMs.toFixed(1)} ms`;
      const primary = connections === QB_CONNECTIONS;
      report(
        `QB run_sync through a warm local worker, ${connections} connections`,
        `${qb.rps.toFixed(0)} req/s${median} (${qb.client}; errors ${qb.bad}${cpu})`,
        primary ? "≥ 2000 req/s, median < 5 ms" : "(saturation, for reference)",
        primary ? qb.rps >= 2000 && (qb.medianMs === undefined || qb.medianMs < 5) : true,
      );
    }
  }
}

/** For `npm run bench` (bench/run.mjs): the figures as a report section. */
export async function bench() {
  const results = await runDevServerBench();
  return {
    title: "flash run (dev server), generated 10-file project",
    rows: results.map((r) => [r.name, r.value, `${r.target}${r.pass ? "" : "  MISSED"}`]),
  };
}

if (runDirectly) {
  const results = await runDevServerBench((name, value, target, pass) =>
    console.log(`${pass ? "PASS" : "MISS"}  ${name}: ${value}  (target ${target})`),
  );
  if (process.argv.includes("--json")) console.log(JSON.stringify(results));
}
