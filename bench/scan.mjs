// Scan benchmark: discovery on the generated 1,000-file project, beside a plain read of the same
// files (the floor), plus `flash routes --json` end to end (node start-up included).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateProject } from "./gen-project.mjs";

const root = new URL("..", import.meta.url).pathname;

/** The floor: list and read every file, the fastest plain way (synchronous reads). */
async function plainRead(dir) {
  const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith(".ts"));
  let bytes = 0;
  for (const f of files) bytes += readFileSync(join(dir, f), "utf8").length;
  return bytes;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Runs the scan benchmark and returns rows for the report. */
export async function benchScan() {
  const dir = join(root, "bench/.work/scan-project");
  const shape = await generateProject(dir);
  // Scan in a fresh process each time, so every figure includes loading the parser (a cold scan).
  const cold = [];
  const warm = [];
  const reads = [];
  for (let i = 0; i < 5; i++) {
    const out = execFileSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import { scanProject } from ${JSON.stringify(join(root, "dist/internal.js"))};
         const t0 = performance.now(); const r = await scanProject(${JSON.stringify(dir)}); const t1 = performance.now();
         for (let k = 0; k < 3; k++) await scanProject(${JSON.stringify(dir)});
         const t2 = performance.now(); await scanProject(${JSON.stringify(dir)}); const t3 = performance.now();
         const fns = r.resources.reduce((a, x) => a + x.functions.length, 0);
         process.stdout.write(JSON.stringify({ cold: t1 - t0, warm: t3 - t2, fns }));`,
      ],
      { encoding: "utf8" },
    );
    const r = JSON.parse(out);
    if (r.fns !== shape.functions)
      throw new Error(`scan found ${r.fns} functions, expected ${shape.functions}`);
    cold.push(r.cold);
    warm.push(r.warm);
    const t0 = performance.now();
    await plainRead(dir);
    reads.push(performance.now() - t0);
  }
  // `flash routes` keeps its scan result between runs: a first run (an empty cache folder each
  // time) parses everything; a later run on unchanged files reads the kept result.
  const routes = (cacheDir) => {
    const t0 = performance.now();
    const out = execFileSync(process.execPath, [join(root, "bin/flash.js"), "routes", "--json", dir], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      env: { ...process.env, FLASH_SCAN_CACHE_DIR: cacheDir },
    });
    if (JSON.parse(out).length < shape.functions) throw new Error("routes --json printed too few routes");
    return performance.now() - t0;
  };
  const work = mkdtempSync(join(tmpdir(), "flash-bench-cache-"));
  const cli = [];
  const cached = [];
  try {
    for (let i = 0; i < 5; i++) cli.push(routes(join(work, `first-${i}`)));
    routes(join(work, "kept"));
    for (let i = 0; i < 5; i++) cached.push(routes(join(work, "kept")));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  // Node's own start-up, the floor under every command; NODE_EXTRA_CA_CERTS (set on some
  // machines, this one included) makes Node parse a certificate bundle before running anything.
  const bare = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    execFileSync(process.execPath, ["-e", "0"]);
    bare.push(performance.now() - t0);
  }
  const extraCerts = process.env.NODE_EXTRA_CA_CERTS ? " (with NODE_EXTRA_CA_CERTS, as here)" : "";
  return {
    title: `Scan: ${shape.files} files, ${(shape.bytes / 1e6).toFixed(1)} MB, ${shape.functions} remote functions`,
    rows: [
      ["scan, first in a fresh process (median of 5)", median(cold), "≤ 250 ms"],
      ["scan, warm (median of 5)", median(warm), ""],
      ["baseline: plain read of the same files", median(reads), "floor"],
      ["flash routes --json, first run (nothing kept), node start-up included", median(cli), "≤ 400 ms"],
      ["flash routes --json, later run on unchanged files (scan cache)", median(cached), "≤ 400 ms"],
      [`baseline: node -e 0${extraCerts}`, median(bare), "floor"],
      ["RunPod's Python scanner, same shape (research figure)", 5500, "reference"],
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printReport } = await import("./report.mjs");
  printReport([await benchScan()]);
}
