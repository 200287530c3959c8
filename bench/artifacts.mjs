// Deployed-worker benchmark, per example project: the artifact `flash build` packs (runtime, SDK,
// npm dependencies for linux x64, a carried Node for CUDA images) and the worker cold start on
// `flash emulator` from the template's start command (spawn → wait for and unpack the artifact →
// runtime up → first job done), beside a live worker's cold start (the CLI's runtime, no artifact:
// the ≈150 ms path of before) measured in the same run.
//
//   node bench/artifacts.mjs [--samples 3]
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEndpoint, median, request, startAndWait, stop } from "./worker.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const TARGET_MS = 1000;

/** `flash deploy` to the emulator; returns its ready-to-paste calls (url, method, body). */
function deploy(dir, url, env) {
  const out = execFileSync(process.execPath, [join(root, "bin/flash.js"), "deploy", dir, "--env", env], {
    env: { ...process.env, RUNPOD_API_URL: url, RUNPOD_API_KEY: "bench" },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const calls = [];
  for (const line of out.split("\n")) {
    const m = /curl -s (?:-X (\w+) )?'([^']+)'.*?(?:-d '([^']*)')?$/.exec(line.trim());
    if (m) calls.push({ method: m[1] ?? (m[3] ? "POST" : "GET"), url: m[2], body: m[3] });
  }
  return calls;
}

/** One call on an endpoint with no worker yet: what a user waits for on a cold endpoint. */
async function coldCall(call) {
  const t0 = performance.now();
  const res = await request(call.url, {
    method: call.method,
    body: call.body,
    headers: { authorization: "Bearer bench" },
  });
  const ms = performance.now() - t0;
  const queue = call.url.includes("/v2/");
  const done = queue
    ? /"status":"(COMPLETED|FAILED)"/.test(res.text)
    : res.status > 0 && ![502, 503, 504].includes(res.status);
  if (!done) throw new Error(`cold call ${call.url} did not finish: ${res.status} ${res.text.slice(0, 300)}`);
  return ms;
}

export async function bench({ samples = 3 } = {}) {
  const work = mkdtempSync(join(tmpdir(), "flash-bench-artifacts-"));
  const { child: emulator, match } = await startAndWait(
    ["bin/flash.js", "emulator", "--port", "0"],
    /listening on (http:\/\/\S+)/,
    { ...process.env, FLASH_CACHE_DIR: join(work, "worker-cache") },
  );
  const url = match[1];
  const rows = [];
  try {
    // Baseline: a live endpoint's worker (the CLI's runtime started directly, nothing to unpack).
    const code = "export function echo(input) { return input; }\n";
    const sha256 = createHash("sha256").update(code).digest("hex");
    const liveJob = JSON.stringify({
      input: {
        __flash__: {
          v: 1,
          function: "echo",
          file: "b.ts",
          bundle: { sha256, code },
          dependencies: [],
          systemDependencies: [],
        },
        input: {},
      },
    });
    const baseline = [];
    for (let i = 0; i < samples; i++) {
      const id = await createEndpoint(url, `baseline-${i}`, {});
      baseline.push(await coldCall({ url: `${url}/v2/${id}/runsync`, method: "POST", body: liveJob }));
    }
    const base = median(baseline);
    rows.push(["baseline: live worker cold start (CLI runtime, no artifact)", base, ""]);

    for (const example of readdirSync(join(root, "examples")).sort()) {
      const dir = join(work, example);
      cpSync(join(root, "examples", example), dir, {
        recursive: true,
        filter: (src) => !/[/\\](node_modules|\.flash)([/\\]|$)/.test(src),
      });
      const times = [];
      let calls = [];
      for (let i = 0; i < samples; i++) {
        // A new environment each time: new endpoints, so the first call starts a worker.
        calls = deploy(dir, url, `bench${i}`);
        for (const call of calls) times.push(await coldCall(call));
      }
      const size = statSync(join(dir, ".flash/artifact.tar.gz")).size;
      const m = median(times);
      rows.push([
        `${example}: artifact ${(size / 1e6).toFixed(1)} MB; cold start (${calls.length} endpoint${calls.length === 1 ? "" : "s"}, median of ${times.length})`,
        m,
        `≤ ${TARGET_MS} ms (${(m / base).toFixed(1)}× baseline)`,
      ]);
    }
  } finally {
    await stop(emulator);
    rmSync(work, { recursive: true, force: true });
  }
  return {
    title: "Deployed workers on the emulator: artifact size and cold start from the start command",
    rows,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printReport } = await import("./report.mjs");
  const i = process.argv.indexOf("--samples");
  printReport([await bench({ samples: i > 0 ? Number(process.argv[i + 1]) : 3 })]);
}
