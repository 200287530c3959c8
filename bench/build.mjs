// Build benchmark: `flash build` of the generated 1,000-file project (1,000 resources, one bundle
// each, packed into .flash/artifact.tar.gz), end to end with node start-up, and the artifact's size.
import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { generateProject } from "./gen-project.mjs";

const root = new URL("..", import.meta.url).pathname;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function mb(bytes) {
  return `${(bytes / 1e6).toFixed(2)} MB`;
}

/** Runs the build benchmark and returns its report section. */
export async function bench() {
  const dir = join(root, "bench/.work/build-project");
  const shape = await generateProject(dir);
  const times = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    execFileSync(process.execPath, [join(root, "bin/flash.js"), "build", dir], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    times.push(performance.now() - t0);
  }
  const artifact = statSync(join(dir, ".flash/artifact.tar.gz")).size;
  const resources = join(dir, ".flash/build/resources");
  let bundles = 0;
  let count = 0;
  for (const f of readdirSync(resources)) {
    if (!f.endsWith(".mjs")) continue;
    bundles += statSync(join(resources, f)).size;
    count++;
  }
  if (count !== shape.files) throw new Error(`expected ${shape.files} bundles, found ${count}`);
  return {
    title: `Build: ${shape.files} files → ${count} resources, ${(shape.bytes / 1e6).toFixed(1)} MB of source`,
    rows: [
      ["flash build, node start-up included (median of 3)", median(times), "≤ 10 s"],
      ["artifact .flash/artifact.tar.gz", mb(artifact), "≤ 1500 MB (RunPod)"],
      ["bundles before compression (total)", mb(bundles), ""],
      ["bundle, average per resource", `${(bundles / count / 1000).toFixed(1)} kB`, ""],
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printReport } = await import("./report.mjs");
  printReport([await bench()]);
}
